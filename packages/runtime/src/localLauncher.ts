import { spawn } from 'node:child_process';
import type { LaunchedTask, TaskCommand } from '@flowkit/core';

/**
 * Starts a task as a local process in its own process group, so a timeout or Ctrl-C can stop the
 * task together with anything it started.
 */
export function launchLocal(command: TaskCommand): LaunchedTask {
  const [file, ...args] = command.argv as [string, ...string[]];
  const child = spawn(file, args, { cwd: command.cwd, env: command.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('error', () => resolve({ code: 127, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    label: `pid ${child.pid ?? '?'}`,
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    kill(signal) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    },
  };
}
