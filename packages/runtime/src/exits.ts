import type { AttemptOutcome, TaskExit } from '@flowkit/core/plugin';

/** What FlowKit records for a task that died without recording why itself. */
export function diedOutcome(cause: string): AttemptOutcome {
  return { status: 'failed', error: `Task ${cause}`, died: cause };
}

/** Why a task died, for when it could not say so itself (killed, crashed, exit() in user code), with the backend's reason. */
export function exitCause(exit: TaskExit): string {
  const cause = processCause(exit);
  return exit.reason ? `${cause}: ${exit.reason}` : cause;
}

function processCause(exit: TaskExit): string {
  if (exit.signal === 'SIGSEGV') return 'crashed with a segmentation fault (SIGSEGV)';
  if (exit.signal === 'SIGKILL') return 'was killed by SIGKILL (out of memory, or killed by hand)';
  if (exit.signal) return `was killed by ${exit.signal}`;
  if (exit.code === 0) return 'exited with code 0 before its step finished (process.exit() in the step)';
  return exit.code === null ? 'ended without running' : `exited with code ${exit.code}`;
}

/**
 * The variable that has the bootstrap keep a step's @timeout itself (seconds), for jobs an engine runs with no
 * scheduler to keep it; the bootstrap then reports `timed-out-after-<seconds>`.
 */
export const TASK_TIMEOUT_VAR = 'FLOWKIT_TASK_TIMEOUT_SECONDS';

/** Why a task the bootstrap ran died, from its word for how it ended: worded as the scheduler records a timeout. */
export function bootstrapExitCause(text: string): string {
  const timedOut = /^timed-out-after-(\d+(?:\.\d+)?)$/.exec(text);
  return timedOut ? `timed out after ${timedOut[1]} s` : exitCause(parseExit(text));
}

/** The bootstrap's word for how the task ended: an exit code or a signal name (`0`, `1`, `SIGKILL`). */
export function parseExit(text: string): TaskExit {
  if (/^SIG[A-Z0-9]+$/.test(text)) return { code: null, signal: text };
  return { code: /^\d+$/.test(text) ? Number(text) : 127, signal: null };
}
