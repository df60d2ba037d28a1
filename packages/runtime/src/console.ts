/** Erases the terminal's current line and returns to its start. */
const ERASE_LINE = '\r\u001b[2K';

/**
 * The run's terminal output, formatted like Metaflow's: `YYYY-MM-DD HH:MM:SS.mmm [run/step/task (pid N)] line`.
 * With `live` (a terminal), a status line stays below the output: erased before each write, drawn again after it.
 */
export class RunConsole {
  private statusLine: string | undefined;

  constructor(
    private readonly options: { quiet: boolean; color: boolean; live?: boolean },
    private readonly out: NodeJS.WritableStream & { columns?: number } = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** Whether a status line shows: a terminal, without `--quiet`. */
  get live(): boolean {
    return this.options.live === true && !this.options.quiet;
  }

  /** FlowKit's own messages; `--quiet` hides them. */
  info(message: string): void {
    if (!this.options.quiet) this.write(this.out, `${message}\n`);
  }

  /** A message about a task, with its prefix; `--quiet` hides it. */
  taskInfo(label: string, message: string): void {
    if (!this.options.quiet) this.write(this.out, `${this.prefix(label)} ${this.paint(message, '2')}\n`);
  }

  /** Lines the task's code printed, in one write: a terminal write is a system call, and they add up per task. */
  taskLines(label: string, stream: 'stdout' | 'stderr', lines: string[]): void {
    const prefix = this.prefix(label);
    const text = lines.map((line) => `${prefix} ${stream === 'stderr' ? this.paint(line, '31') : line}\n`).join('');
    this.write(stream === 'stderr' ? this.err : this.out, text);
  }

  error(message: string): void {
    this.write(this.err, `${this.paint(message, '31')}\n`);
  }

  /** Shows (or, undefined, erases) the status line; only on a live console, never with `--quiet`. */
  status(text: string | undefined): void {
    if (!this.live) return;
    // One terminal row: a wrapped line could not be erased in one go.
    const fitted = text?.slice(0, Math.max((this.out.columns ?? 80) - 1, 10));
    if (fitted === this.statusLine) return;
    this.out.write(`${this.statusLine === undefined ? '' : ERASE_LINE}${fitted === undefined ? '' : this.paint(fitted, '1')}`);
    this.statusLine = fitted;
  }

  private write(stream: NodeJS.WritableStream, text: string): void {
    if (this.statusLine === undefined) {
      stream.write(text);
      return;
    }
    this.out.write(ERASE_LINE);
    stream.write(text);
    this.out.write(this.paint(this.statusLine, '1'));
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
