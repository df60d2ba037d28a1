/** How a task process ended: its exit code, or the signal that killed it. */
export interface TaskExit {
  code: number | null;
  signal: string | null;
}

/** Why a task died, for when it could not say so itself (killed, crashed, exit() in user code). */
export function exitCause(exit: TaskExit, timeoutSeconds?: number): string {
  if (timeoutSeconds !== undefined) return `timed out after ${timeoutSeconds} s`;
  if (exit.signal === 'SIGSEGV') return 'crashed with a segmentation fault (SIGSEGV)';
  if (exit.signal === 'SIGKILL') return 'was killed by SIGKILL (out of memory, or killed by hand)';
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

/** The bootstrap's word for how the task ended: an exit code or a signal name (`0`, `1`, `SIGKILL`). */
export function parseExit(text: string): TaskExit {
  if (/^SIG[A-Z0-9]+$/.test(text)) return { code: null, signal: text };
  return { code: /^\d+$/.test(text) ? Number(text) : 127, signal: null };
}
