import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { commandLine } from '@flowkit/core/internal';
import { debugLogger, type LaunchedTask, type Launcher, type TaskLaunch } from '@flowkit/core/plugin';

/** The command that runs one task; argv only, never a shell string. */
interface TaskCommand {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/**
 * Starts a task as a local process in its own process group, so a timeout or Ctrl-C can stop the
 * task together with anything it started. With `stdin`, the process gets its task on standard input.
 */
function launchLocal(command: TaskCommand, stdin = false): LaunchedTask & { send(args: string[]): void } {
  const [file, ...args] = command.argv as [string, ...string[]];
  const child = spawn(file, args, { cwd: command.cwd, env: command.env, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  const label = `pid ${child.pid ?? '?'}`;
  debugLogger('subcommand')?.(`${label}${stdin ? ' (warm: its task follows on stdin)' : ''}: ${commandLine(command.argv)}`);
  // A warm process that died before its task arrived must not crash the scheduler with EPIPE.
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('error', () => resolve({ code: 127, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    label,
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
      debugLogger('subcommand')?.(`${label} takes its task: ${commandLine(taskArgs)}`);
      child.stdin?.end(`${JSON.stringify(taskArgs)}\n`);
    },
  };
}

/**
 * Task processes started ahead of need: each boots node and loads the flow's bundle, then waits for
 * its task on standard input, so process start overlaps with the tasks running now.
 */
class WarmPool {
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

export interface LocalLauncherOptions {
  bundlePath: string;
  cwd: string;
  /** The run's settings, as TaskLaunch.env holds them; tasks also get this machine's environment. */
  runEnv: Record<string, string>;
  /** Processes kept booted ahead of need. */
  warmProcesses: number;
}

/**
 * The default launcher: each task is a process on this machine (`node bundleLoader.js <bundle> step ...`)
 * with this machine's environment under the run's settings. Tasks whose environment is the run's start in
 * a warm process; a step with variables of its own starts a fresh one.
 */
export class LocalLauncher implements Launcher {
  private readonly command: TaskCommand;
  private readonly warm: WarmPool;

  constructor(private readonly options: LocalLauncherOptions) {
    const env = { ...(process.env as Record<string, string>), ...options.runEnv };
    this.command = { argv: [process.execPath, require.resolve('./bundleLoader'), options.bundlePath, 'warm'], env, cwd: options.cwd };
    this.warm = new WarmPool(this.command, options.warmProcesses);
  }

  async launch(task: TaskLaunch): Promise<LaunchedTask> {
    const { runEnv } = this.options;
    const ownEnv = Object.keys(task.env).length !== Object.keys(runEnv).length || Object.entries(task.env).some(([name, value]) => runEnv[name] !== value);
    if (!ownEnv) return this.warm.launch(task.taskArgs, task.ref.stepName === 'end');
    return launchLocal({ argv: [...this.command.argv.slice(0, -1), ...task.taskArgs], env: { ...this.command.env, ...task.env }, cwd: this.command.cwd });
  }

  async runFinished(): Promise<void> {
    this.warm.close();
  }
}
