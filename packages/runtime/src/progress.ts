import type { RunConsole } from './console';

/** Where one step stands: tasks waiting for a worker, running, finished, failed for good; when its first task started. */
export interface StepProgress {
  step: string;
  queued: number;
  running: number;
  done: number;
  failed: number;
  startedAt?: number;
}

/** How often the status line is drawn again (a terminal redraw per task event would cost more than the tasks' output). */
const REDRAW_MS = 250;
/** Steps the line names at once: the ones with work left, in flow order. */
const STEPS_SHOWN = 3;

/** Draws a run's status line on its console while it runs: elapsed time, the busy steps, and the run's totals. */
export class RunProgress {
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(
    private readonly console: RunConsole,
    private readonly snapshot: () => StepProgress[],
  ) {
    this.timer = setInterval(() => this.console.status(this.line(Date.now())), REDRAW_MS);
    this.timer.unref();
  }

  /** Erases the line: the screen ends with the run's output alone. */
  stop(): void {
    clearInterval(this.timer);
    this.console.status(undefined);
  }

  line(now: number): string {
    const steps = this.snapshot();
    const busy = steps.filter((s) => s.queued + s.running > 0).slice(0, STEPS_SHOWN);
    const total = (key: 'queued' | 'running' | 'done' | 'failed') => steps.reduce((sum, s) => sum + s[key], 0);
    const known = total('queued') + total('running') + total('done') + total('failed');
    const parts = busy.map((s) => `${s.step} ${s.done}/${s.queued + s.running + s.done + s.failed} done, ${s.running} running${remaining(s, now)}`);
    const failed = total('failed') > 0 ? `, ${total('failed')} failed` : '';
    return `Running ${clock(now - this.startedAt)} · ${parts.join(' · ') || 'between steps'} · tasks ${total('done')}/${known} done${failed}`;
  }
}

/** A step's time left at its rate so far, once a tenth of a step of some size is done. */
function remaining(step: StepProgress, now: number): string {
  const left = step.queued + step.running;
  if (step.startedAt === undefined || step.done < 5 || step.done < (left + step.done) / 10) return '';
  return `, ~${clock(((now - step.startedAt) / step.done) * left)} left`;
}

/** `m:ss`. */
function clock(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
