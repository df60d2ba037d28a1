import type { ServerResponse } from 'node:http';
import type { ObjectStore, StoreEvent } from './objects';
import type { FieldSelector, LabelSelector } from './selectors';
import { failureStatus } from './status';
import type { KubeObject, Resource } from './types';

export interface WatchRequest {
  resource: Resource;
  /** undefined watches every namespace. */
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  /** The `resourceVersion` query parameter as sent ('' when absent). */
  resourceVersion: string;
  timeoutSeconds?: number;
}

/**
 * Open watch streams: newline-delimited JSON `{type, object}` events over one chunked HTTP response, as the
 * apiserver sends them. A watch without a resourceVersion (or with "0") starts with an ADDED event per existing
 * object; a watch from a version replays the recorded events after it, or answers a 410 Expired ERROR event
 * when the history no longer reaches back that far.
 */
export class WatchHub {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly store: ObjectStore) {}

  serve(request: WatchRequest, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    const wanted = (e: StoreEvent) =>
      e.resource === request.resource &&
      (request.namespace === undefined || e.object.metadata.namespace === request.namespace) &&
      request.labels.matches(e.object.metadata.labels) &&
      request.fields.matches(e.object);

    const rv = request.resourceVersion;
    if (rv === '' || rv === '0') {
      for (const object of this.store.list<KubeObject>(request.resource, request.namespace)) {
        if (wanted({ type: 'ADDED', resource: request.resource, object, resourceVersion: 0 })) send('ADDED', object);
      }
    } else {
      const from = Number(rv);
      const backlog = Number.isInteger(from) && from >= 0 ? this.store.eventsSince(from) : 'invalid';
      if (backlog === 'expired' || backlog === 'invalid') {
        const message =
          backlog === 'invalid'
            ? `invalid resource version: ${rv}`
            : `too old resource version: ${rv} (${this.store.resourceVersion()})`;
        send('ERROR', failureStatus(410, 'Expired', message));
        res.end();
        return;
      }
      for (const event of backlog) if (wanted(event)) send(event.type, event.object);
    }

    const unsubscribe = this.store.subscribe((event) => {
      if (wanted(event)) send(event.type, event.object);
    });
    const timer =
      request.timeoutSeconds !== undefined && request.timeoutSeconds > 0
        ? setTimeout(() => res.end(), request.timeoutSeconds * 1000)
        : undefined;
    this.open.add(res);
    res.on('close', () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      this.open.delete(res);
    });
  }

  /** Ends every open watch cleanly, as an apiserver restart or its watch timeout does; clients must re-watch. */
  dropAll(): void {
    for (const res of [...this.open]) res.end();
  }

  count(): number {
    return this.open.size;
  }
}
