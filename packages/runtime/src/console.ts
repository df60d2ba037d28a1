/** The run's terminal output, formatted like Metaflow's: `YYYY-MM-DD HH:MM:SS.mmm [run/step/task (pid N)] line`. */
export class RunConsole {
  constructor(
    private readonly options: { quiet: boolean; color: boolean },
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** FlowKit's own messages; `--quiet` hides them. */
  info(message: string): void {
    if (!this.options.quiet) this.out.write(`${message}\n`);
  }

  /** A message about a task, with its prefix; `--quiet` hides it. */
  taskInfo(label: string, message: string): void {
    if (!this.options.quiet) this.out.write(`${this.prefix(label)} ${this.paint(message, '2')}\n`);
  }

  /** Lines the task's code printed, in one write: a terminal write is a system call, and they add up per task. */
  taskLines(label: string, stream: 'stdout' | 'stderr', lines: string[]): void {
    const prefix = this.prefix(label);
    const text = lines.map((line) => `${prefix} ${stream === 'stderr' ? this.paint(line, '31') : line}\n`).join('');
    (stream === 'stderr' ? this.err : this.out).write(text);
  }

  error(message: string): void {
    this.err.write(`${this.paint(message, '31')}\n`);
  }

  private prefix(label: string): string {
    return `${this.paint(timestamp(new Date()), '32')} ${this.paint(`[${label}]`, '35')}`;
  }

  private paint(text: string, code: string): string {
    return this.options.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}

/** Local time as `YYYY-MM-DD HH:MM:SS.mmm`. */
export function timestamp(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
