import type { Cluster } from './client';
import { describe, statusCode, withRetries } from './client';

/** An object as a watch or a list hands it over; only the fields FlowKit reads are named. */
export interface KubeObject {
  metadata?: { name?: string; resourceVersion?: string; ownerReferences?: { kind?: string; name?: string; controller?: boolean }[]; deletionTimestamp?: unknown };
  status?: any;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Where a watch hands each object: the attempt it belongs to (or nobody), or the news that it lost track. */
export interface WatchTarget {
  event(type: EventType, object: KubeObject): void;
  lost(reason: string): void;
}

/** Consecutive failed (re)connections before the objects are given up as lost; with backoff, about a minute. */
const FAILED_CONNECTIONS = 10;

/**
 * One resource (Jobs or pods) of one run in one namespace, by label selector: a list, then a watch from the
 * list's resourceVersion, so nothing between the two is missed. When the stream ends (the apiserver ends
 * watches every few minutes) it watches again from the last version it saw; when that version is too old
 * (410 Gone) it lists again, and what vanished meanwhile is reported DELETED. Never a request per Job.
 */
export class ResourceWatch {
  private version = '';
  /** The objects the stream has shown and not deleted, as last seen: what a re-list can find gone. */
  private readonly present = new Map<string, KubeObject>();
  private failures = 0;
  private abort?: AbortController;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly path: string,
    private readonly labelSelector: string,
    private readonly list: () => Promise<{ metadata?: { resourceVersion?: string }; items: KubeObject[] }>,
    private readonly target: WatchTarget,
  ) {}

  /** Resolves once the first list is in: any object created after that reaches the target. */
  async start(): Promise<void> {
    await this.relist();
    void this.watch();
  }

  close(): void {
    this.closed = true;
    this.abort?.abort();
  }

  private async relist(): Promise<void> {
    const listed = await withRetries(this.list);
    const names = new Set(listed.items.map((item) => item.metadata?.name as string));
    for (const [name, last] of [...this.present]) if (!names.has(name)) this.deliver('DELETED', last);
    for (const item of listed.items) this.deliver(this.present.has(item.metadata?.name as string) ? 'MODIFIED' : 'ADDED', item);
    this.version = listed.metadata?.resourceVersion ?? '';
  }

  private deliver(type: string, object: KubeObject): void {
    const name = object.metadata?.name;
    if (object.metadata?.resourceVersion) this.version = object.metadata.resourceVersion;
    if (type === 'BOOKMARK' || name === undefined) return;
    if (type === 'DELETED') this.present.delete(name);
    else this.present.set(name, object);
    this.target.event(type as EventType, object);
  }

  private async watch(): Promise<void> {
    while (!this.closed) {
      const { error, expired } = await this.stream();
      if (this.closed) return;
      try {
        // A clean end (the apiserver's watch timeout) resumes from the last version; an expired one lists again.
        if (expired || statusCode(error) === 410) await this.relist();
        else if (error) throw error;
      } catch (failure) {
        if (++this.failures >= FAILED_CONNECTIONS) return this.target.lost(`FlowKit lost its watch on ${this.path}: ${describe(failure)}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** this.failures)));
      }
    }
  }

  /** One watch stream, from the last version seen to its end. */
  private stream(): Promise<{ error: unknown; expired: boolean }> {
    return new Promise((resolve) => {
      let expired = false;
      const onEvent = (type: string, object: KubeObject & { code?: number }) => {
        this.failures = 0;
        if (type === 'ERROR') expired = object.code === 410;
        else this.deliver(type, object);
      };
      const query = { labelSelector: this.labelSelector, resourceVersion: this.version, allowWatchBookmarks: true };
      const done = (error: unknown) => resolve({ error, expired });
      new this.cluster.k8s.Watch(this.cluster.kc).watch(this.path, query, onEvent, done).then((abort) => {
        this.abort = abort;
        if (this.closed) abort.abort();
      }, done);
    });
  }
}
