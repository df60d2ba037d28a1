import { debugLogger } from './debug';
import type { DataStore, MetadataProvider } from './plugins';
import { byteLength, type Bytes } from './serialization';

/** What a traced call shows: the call with its main arguments, and what it returned (empty: nothing worth showing). */
interface CallFormat {
  call(method: string, args: unknown[]): string;
  result(method: string, value: unknown): string;
}

/** The datastore itself, or with FLOWKIT_DEBUG=datastore one that logs every call: key, bytes and milliseconds. */
export function tracedDataStore(storage: DataStore): DataStore {
  const log = debugLogger('datastore');
  return log ? traceCalls(storage, log, dataStoreFormat) : storage;
}

/** The provider itself, or with FLOWKIT_DEBUG=metadata one that logs every call: method, ids and milliseconds. */
export function tracedMetadata(metadata: MetadataProvider): MetadataProvider {
  const log = debugLogger('metadata');
  return log ? traceCalls(metadata, log, metadataFormat) : metadata;
}

/**
 * A proxy that logs each method call once it returned, settled or threw. A generic proxy rather than a wrapper
 * class: an optional method (`url`, `getSync`, `heartbeat`) stays absent where the backend has none.
 */
function traceCalls<T extends object>(target: T, log: (message: string) => void, format: CallFormat): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const started = performance.now();
        const report = (outcome: string) => log(`${format.call(property, args)}${outcome} (${Math.round(performance.now() - started)} ms)`);
        const succeeded = (result: unknown) => {
          const shown = format.result(property, result);
          report(shown && ` -> ${shown}`);
          return result;
        };
        const failed = (error: unknown): never => {
          report(` failed: ${error instanceof Error ? error.message : String(error)}`);
          throw error;
        };
        let result: unknown;
        try {
          result = (value as (...args: unknown[]) => unknown).apply(object, args);
        } catch (error) {
          return failed(error);
        }
        return result instanceof Promise ? result.then(succeeded, failed) : succeeded(result);
      };
    },
  });
}

const dataStoreFormat: CallFormat = {
  call(method, [key, second]) {
    if (method === 'put') return `put ${String(key)} ${byteLength(second as Bytes)} B`;
    if (method === 'putFile') return `putFile ${String(key)} from ${String(second)}`;
    // The URL itself is a read credential: only how long it lasts is shown.
    if (method === 'url') return `url ${String(key)} for ${String(second)} s`;
    return key === undefined ? method : `${method} ${String(key)}`;
  },
  result(method, value) {
    if (method === 'get' || method === 'getSync') return value === undefined ? 'missing' : `${(value as Buffer).length} B`;
    if (method === 'exists') return String(value);
    if (method === 'list') return `${(value as string[]).length} names`;
    return '';
  },
};

const metadataFormat: CallFormat = {
  call(method, args) {
    return [method, ...args.flatMap(idsOf)].join(' ');
  },
  result(_method, value) {
    if (Array.isArray(value)) return `${value.length} found`;
    // A record (newRun, newTask, getRun, getTask): its ids, the allocated ones included.
    return idsOf(value).join(' ');
  },
};

/** The ids in a metadata call's argument: a flow name, a run id, a record's pathspec, an attempt number. */
function idsOf(arg: unknown): string[] {
  if (typeof arg === 'string') return [arg];
  if (typeof arg === 'number') return [`attempt ${arg}`];
  if (typeof arg !== 'object' || arg === null || !('flowName' in arg)) return [];
  const { flowName, runId, stepName, taskId } = arg as { flowName: string; runId?: string; stepName?: string; taskId?: string };
  return [[flowName, runId, stepName, taskId].filter((id) => id !== undefined).join('/')];
}
