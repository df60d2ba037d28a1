import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { LaunchedTask, TaskCommand } from '@flowkit/core';

/**
 * Starts a task as a local process in its own process group, so a timeout or Ctrl-C can stop the
 * task together with anything it started. With `stdin`, the process gets its task on standard input.
 */
export function launchLocal(command: TaskCommand, stdin = false): LaunchedTask & { send(args: string[]): void } {
  const [file, ...args] = command.argv as [string, ...string[]];
  const child = spawn(file, args, { cwd: command.cwd, env: command.env, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  // A warm process that died before its task arrived must not crash the scheduler with EPIPE.
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('error', () => resolve({ code: 127, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    label: `pid ${child.pid ?? '?'}`,
    stdout: child.stdout as Readable,
    stderr: child.stderr as Readable,
    exited,
    kill(signal) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    },
    send(taskArgs) {
      child.stdin?.end(`${JSON.stringify(taskArgs)}\n`);
    },
  };
}

/**
 * Task processes started ahead of need: each boots node and loads the flow's bundle, then waits for
 * its task on standard input, so process start overlaps with the tasks running now.
 */
export class WarmPool {
  private readonly idle: Array<ReturnType<typeof launchLocal>> = [];

  constructor(
    private readonly command: TaskCommand,
    private readonly size: number,
  ) {
    this.fill();
  }

  /** A started task process for these task arguments, warm when one is ready; `last`: no task follows, so none is booted in its place. */
  launch(taskArgs: string[], last = false): LaunchedTask {
    const warm = this.idle.shift();
    if (!last) this.fill();
    if (!warm) return launchLocal({ ...this.command, argv: [...this.command.argv.slice(0, -1), ...taskArgs] });
    warm.send(taskArgs);
    return warm;
  }

  close(): void {
    for (const warm of this.idle.splice(0)) warm.kill('SIGKILL');
  }

  private fill(): void {
    while (this.idle.length < this.size) this.idle.push(launchLocal(this.command, true));
  }
}
