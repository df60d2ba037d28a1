import { randomUUID } from 'node:crypto';
import type { KubeObject, Resource } from './types';
import { kubeTime } from './types';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  resource: Resource;
  /** The object as it was after the change (for DELETED, as it was removed, with the deletion's version). */
  object: KubeObject;
  resourceVersion: number;
}

type Listener = (event: StoreEvent) => void;

/**
 * Every object the server holds, with one resourceVersion counter for all of them (as etcd's revision) and a
 * bounded history of changes so that a watch can resume from any version the history still covers. Readers
 * always get copies: an object changes only through `create`, `modify` and `remove`, each of which records an
 * event.
 */
export class ObjectStore {
  private version = 0;
  private readonly objects = new Map<string, KubeObject>();
  private history: StoreEvent[] = [];
  /** Watches from a version below this one answer 410 Expired: their events are gone. */
  private oldestResumable = 0;
  private readonly listeners = new Set<Listener>();
  private readonly queue: StoreEvent[] = [];
  private delivering = false;

  constructor(private readonly historyLimit = 10_000) {}

  resourceVersion(): string {
    return String(this.version);
  }

  get<T extends KubeObject>(resource: Resource, namespace: string | undefined, name: string): T | undefined {
    const found = this.objects.get(key(resource, namespace, name));
    return found === undefined ? undefined : (clone(found) as T);
  }

  /** Objects of a resource in one namespace (or all when `namespace` is undefined), in key order like etcd. */
  list<T extends KubeObject>(resource: Resource, namespace?: string): T[] {
    const prefix = namespace === undefined ? `${resource}/` : `${resource}/${namespace}/`;
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => clone(object) as T);
  }

  has(resource: Resource, namespace: string | undefined, name: string): boolean {
    return this.objects.has(key(resource, namespace, name));
  }

  /**
   * Stores a new object, filling creationTimestamp, resourceVersion and (unless admission already chose it, as the
   * Job selector needs) the uid; the caller checked the name is free.
   */
  create<T extends KubeObject>(resource: Resource, object: T): T {
    const stored = clone(object);
    stored.metadata.uid ||= randomUUID();
    stored.metadata.creationTimestamp = kubeTime();
    stored.metadata.resourceVersion = String(++this.version);
    this.objects.set(key(resource, stored.metadata.namespace, stored.metadata.name), stored);
    this.record('ADDED', resource, stored);
    return clone(stored) as T;
  }

  /**
   * Applies `change` to the stored object and records a MODIFIED event, unless the change left the object as it
   * was (controllers resync often; a real apiserver also skips no-op updates). Returns the object after the
   * change, or undefined when it no longer exists.
   */
  modify<T extends KubeObject>(
    resource: Resource,
    namespace: string | undefined,
    name: string,
    change: (object: T) => void,
  ): T | undefined {
    const k = key(resource, namespace, name);
    const stored = this.objects.get(k);
    if (stored === undefined) return undefined;
    const next = clone(stored) as T;
    change(next);
    if (JSON.stringify(next) === JSON.stringify(stored)) return next;
    next.metadata.resourceVersion = String(++this.version);
    this.objects.set(k, next);
    this.record('MODIFIED', resource, next);
    return clone(next) as T;
  }

  remove<T extends KubeObject>(resource: Resource, namespace: string | undefined, name: string): T | undefined {
    const k = key(resource, namespace, name);
    const stored = this.objects.get(k);
    if (stored === undefined) return undefined;
    this.objects.delete(k);
    stored.metadata.resourceVersion = String(++this.version);
    this.record('DELETED', resource, stored);
    return clone(stored) as T;
  }

  /** Events after `resourceVersion`, or 'expired' when the history no longer reaches back that far. */
  eventsSince(resourceVersion: number): StoreEvent[] | 'expired' {
    if (resourceVersion < this.oldestResumable) return 'expired';
    return this.history.filter((e) => e.resourceVersion > resourceVersion).map((e) => ({ ...e, object: clone(e.object) }));
  }

  /** Forgets the history, as etcd compaction does: every watch from an older version then gets 410 Expired. */
  compact(): void {
    this.history = [];
    this.oldestResumable = this.version;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(type: EventType, resource: Resource, object: KubeObject): void {
    const event: StoreEvent = { type, resource, object: clone(object), resourceVersion: this.version };
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestResumable = dropped[dropped.length - 1]?.resourceVersion ?? this.oldestResumable;
    }
    this.queue.push(event);
    if (this.delivering) return;
    // A listener that changes the store while it is told about a change (a controller reacting to a pod) must
    // not overtake the event it is reacting to: every listener sees every event in resourceVersion order.
    this.delivering = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        for (const listener of [...this.listeners]) listener({ ...next, object: clone(next.object) });
      }
    } finally {
      this.delivering = false;
    }
  }
}

function key(resource: Resource, namespace: string | undefined, name: string): string {
  return namespace === undefined ? `${resource}/${name}` : `${resource}/${namespace}/${name}`;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
