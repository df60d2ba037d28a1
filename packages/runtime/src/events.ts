import { createWriteStream, type WriteStream } from 'node:fs';
import { PluginError, RUN_EVENT_SCHEMA, debugLogger, type RunEvent, type Sidecar } from '@flowkit/core/plugin';
import type { RunConsole } from './console';

/** Events one sidecar may have waiting before the newest are dropped. */
const MAX_QUEUED = 10_000;
/** How long a sidecar's last events and `close` may take once the run ended. */
const CLOSE_GRACE_MS = 5_000;

type RunEventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'schema' | 'time'> : never) : never;

/** One sidecar's queue: events go out one at a time, each after the last one's promise settled. */
class SidecarQueue {
  private readonly waiting: RunEvent[] = [];
  private sending: Promise<void> | undefined;
  dropped = 0;
  failures = 0;
  lastFailure: string | undefined;

  constructor(readonly sidecar: Sidecar) {}

  push(event: RunEvent): void {
    if (this.waiting.length >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    this.waiting.push(event);
    this.sending ??= this.drain();
  }

  /** Resolves once every queued event went out (or failed). */
  get drained(): Promise<void> {
    return this.sending ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    // The caller (the scheduler) goes on first: a sidecar's work never runs inside its turn.
    await new Promise((resolve) => setImmediate(resolve));
    for (let event = this.waiting.shift(); event !== undefined; event = this.waiting.shift()) {
      try {
        await this.sidecar.event(event);
      } catch (error) {
        this.failures++;
        this.lastFailure = (error as Error).message;
      }
    }
    this.sending = undefined;
  }
}

/**
 * Hands a run's events to its sidecars without ever waiting for them: each sidecar has its own bounded queue, a
 * sidecar that throws is counted, and at the end each gets a few seconds to take its last events and close.
 */
export class RunEvents {
  private readonly queues: SidecarQueue[];

  constructor(
    sidecars: Sidecar[],
    private readonly console: RunConsole,
  ) {
    this.queues = sidecars.map((sidecar) => new SidecarQueue(sidecar));
  }

  emit(event: RunEventBody): void {
    debugLogger('sidecar')?.(this.describe(event));
    if (this.queues.length === 0) return;
    const stamped = { schema: RUN_EVENT_SCHEMA, time: new Date().toISOString(), ...event } as RunEvent;
    for (const queue of this.queues) queue.push(stamped);
  }

  /** For FLOWKIT_DEBUG=sidecar: the event and who hears it (none: no sidecar is registered, which is worth seeing). */
  private describe(event: RunEventBody): string {
    const subject = 'pathspec' in event ? `${event.pathspec} attempt ${event.attempt}` : `${event.flowName}/${event.runId}`;
    const status = 'status' in event ? ` ${event.status}` : '';
    const names = this.queues.map((queue) => queue.sidecar.name).join(', ') || 'no sidecar';
    return `${event.type} ${subject}${status} -> ${names}`;
  }

  /** Lets every sidecar finish (within CLOSE_GRACE_MS), then reports what any of them lost or failed. */
  async close(): Promise<void> {
    await Promise.all(
      this.queues.map(async (queue) => {
        const finished = queue.drained.then(() => queue.sidecar.close?.());
        const outcome = await withinGrace(finished);
        if (outcome === 'late') this.console.error(`Sidecar '${queue.sidecar.name}' did not finish within ${CLOSE_GRACE_MS / 1000} s of the run's end; the run did not wait for it.`);
        if (outcome instanceof Error) this.console.error(`Sidecar '${queue.sidecar.name}' failed to close: ${outcome.message}`);
        if (queue.dropped > 0) this.console.error(`Sidecar '${queue.sidecar.name}' fell behind: ${queue.dropped} event(s) were dropped.`);
        if (queue.failures > 0) this.console.error(`Sidecar '${queue.sidecar.name}' failed on ${queue.failures} event(s): ${queue.lastFailure}`);
      }),
    );
  }
}

async function withinGrace(work: Promise<unknown>): Promise<'done' | 'late' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS)));
  try {
    return await Promise.race([work.then(() => 'done' as const, (error: unknown) => (error instanceof Error ? error : new Error(String(error)))), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The sidecars that hear a run: every one without a role, and the event loggers and monitors chosen by name; a name
 * no sidecar of that role has is refused, naming the ones there are.
 */
export function chooseSidecars(sidecars: Sidecar[], chosen: { 'event-logger': string[]; monitor: string[] }): Sidecar[] {
  for (const role of ['event-logger', 'monitor'] as const) {
    const known = sidecars.filter((sidecar) => sidecar.role === role).map((sidecar) => sidecar.name);
    const unknown = chosen[role].find((name) => !known.includes(name));
    if (unknown !== undefined) {
      throw new PluginError(`Unknown ${role.replace('-', ' ')} '${unknown}' (--${role}).`, { hint: `known: ${known.join(', ') || 'none'}; install the plugin package that provides it` });
    }
  }
  return sidecars.filter((sidecar) => sidecar.role === undefined || chosen[sidecar.role].includes(sidecar.name));
}

/** `flowkit run --events FILE`: every run event as one JSON line, appended to FILE. */
export class JsonLinesSidecar implements Sidecar {
  readonly name = 'jsonl';
  private out: WriteStream | undefined;

  constructor(private readonly file: string) {}

  event(event: RunEvent): Promise<void> {
    // Opened with the first event: a run that stops before it starts leaves no file.
    const out = (this.out ??= createWriteStream(this.file, { flags: 'a' }));
    return new Promise((resolve, reject) => out.write(`${JSON.stringify(event)}\n`, (error) => (error ? reject(error) : resolve())));
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.out ? this.out.end(resolve) : resolve()));
  }
}
