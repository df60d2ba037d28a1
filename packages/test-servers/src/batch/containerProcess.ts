import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';

/** How a container's main process ended: an exit code, a signal, or never started at all. */
export interface ContainerExit {
  /** As Docker reports it: the process's exit status, or 128 + the signal number that killed it. */
  exitCode?: number;
  signal?: NodeJS.Signals;
  /** Set when the command could not be executed (not found, not executable). */
  startError?: string;
}

export interface ContainerProcessOptions {
  command: string[];
  env: Record<string, string>;
  cwd: string;
  onStart: () => void;
  onLine: (line: string) => void;
  /** Called once, after every line of output has been delivered. */
  onExit: (exit: ContainerExit) => void;
}

/**
 * One attempt's "container": the command spawned directly (no shell, as Docker execs an array
 * command) in its own process group, so that a container's end can take every process it started
 * with it, as tearing down a container's PID namespace does.
 */
export class ContainerProcess {
  private readonly child: ChildProcess;
  private killTimer: NodeJS.Timeout | undefined;
  private exited = false;
  private readonly done: Promise<void>;

  constructor(options: ContainerProcessOptions) {
    const [file, ...args] = options.command;
    if (file === undefined) throw new Error('a container needs a command');
    this.child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let exit: ContainerExit | undefined;
    let finished = false;
    let resolveDone: () => void = () => undefined;
    this.done = new Promise((resolve) => (resolveDone = resolve));
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.exited = true;
      clearTimeout(this.killTimer);
      options.onExit(exit ?? {});
      resolveDone();
    };
    this.child.once('spawn', options.onStart);
    this.child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failure to exec matters here; errors after spawn (a failed kill) carry no news.
      if (this.child.pid !== undefined) return;
      exit = { startError: `${error.code ?? 'ERROR'}: exec ${JSON.stringify(file)}: ${error.message}` };
      finish();
    });
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      clearTimeout(this.killTimer);
      exit = signal !== null ? { signal, exitCode: 128 + (constants.signals[signal] ?? 0) } : { exitCode: code ?? 0 };
      // The main process is gone, so the container is: anything it left running goes too.
      this.killGroup();
    });
    this.child.once('close', finish);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream !== null) readLines(stream, options.onLine);
    }
  }

  /** `docker stop`: SIGTERM to the main process only, SIGKILL to everything after the grace period. */
  stop(graceMs: number): void {
    if (this.exited || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    if (this.killTimer === undefined) this.killTimer = setTimeout(() => this.killGroup(), graceMs);
  }

  /** The host vanished (or the server stops): nothing gets a chance to clean up. */
  kill(): void {
    this.killGroup();
  }

  /** Resolves once the process has exited and its output has been read. */
  finished(): Promise<void> {
    return this.done;
  }

  private killGroup(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already empty.
    }
  }
}

/** Splits a stream into lines without the newline; a last line without one still counts. */
function readLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
  });
}
