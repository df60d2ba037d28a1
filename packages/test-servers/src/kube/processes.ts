import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { ContainerLog } from './logs';
import type { ContainerLaunch } from './podEnv';

export interface ContainerExit {
  /** 128 + the signal number when a signal ended the process, as a container runtime reports it. */
  exitCode: number;
  signal?: number;
  /** Set when the process could not be started at all (the runtime's StartError). */
  startError?: string;
}

/**
 * A container's main process. It runs in its own process group so that, as when a container stops, everything it
 * started dies with it; SIGTERM goes to the main process only, as a container runtime sends it to PID 1.
 */
export class ContainerProcess {
  private readonly child: ChildProcess;
  private killTimer: NodeJS.Timeout | undefined;
  private exited = false;

  constructor(
    launch: ContainerLaunch,
    cwd: string,
    log: ContainerLog,
    onStarted: () => void,
    onExit: (exit: ContainerExit) => void,
  ) {
    // Never a shell: the command is exec'd as the container runtime would, resolved on the pod's PATH.
    this.child = spawn(launch.command, launch.args, {
      cwd,
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => log.append('stdout', chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => log.append('stderr', chunk));
    this.child.on('spawn', onStarted);
    let exit: ContainerExit | undefined;
    this.child.on('error', (error: NodeJS.ErrnoException) => {
      if (this.child.pid !== undefined) return;
      this.exited = true;
      const reason =
        error.code === 'ENOENT'
          ? `exec: "${launch.command}": executable file not found in $PATH`
          : `exec: "${launch.command}": ${error.message}`;
      onExit({ exitCode: 128, startError: `failed to create containerd task: failed to start container: ${reason}` });
      log.close();
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.signalGroup('SIGKILL');
      if (this.killTimer) clearTimeout(this.killTimer);
      const number = signal ? constants.signals[signal] : undefined;
      exit = number !== undefined ? { exitCode: 128 + number, signal: number } : { exitCode: code ?? 1 };
    });
    // 'close' comes after the output pipes drained, so the log is complete when the exit is reported.
    this.child.on('close', () => {
      if (!exit) return;
      log.close();
      onExit(exit);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM now, SIGKILL to the whole group when the grace period ends first. */
  terminate(graceMs: number): void {
    if (this.exited) return;
    if (graceMs <= 0) return this.kill();
    this.child.kill('SIGTERM');
    this.killTimer ??= setTimeout(() => this.kill(), graceMs);
  }

  kill(): void {
    if (this.exited) return;
    this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is already gone.
    }
  }
}
