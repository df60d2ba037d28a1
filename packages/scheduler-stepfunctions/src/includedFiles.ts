import { createHash } from 'node:crypto';
import { openBackends, readIncludedFiles, type BackendOptions } from '@flowkit/core/internal';
import { FlowDataStore, registry, type Config, type PreparedFlow } from '@flowkit/core/plugin';

/** A source an IncludeFile reads through a URL reader (`s3://...`) rather than from this machine's disk. */
const URL_SOURCE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * IncludeFile parameters as a deployed run takes them: a local file is read here (at `create` for a default or a
 * value given there, at `trigger` for one given then), stored in the datastore under its content's sha256, and the
 * run's `init` reads it back by URL, so a run on Step Functions includes what the deploying machine had, as a local
 * run would. A URL passes as given; a missing or oversized file is refused here, naming the parameter.
 */
export async function includeFiles(flow: PreparedFlow, given: Record<string, string>, config: Config, backends: BackendOptions, withDefaults: boolean): Promise<Record<string, string>> {
  const included = [...flow.parameters].filter(([, definition]) => definition.include !== undefined);
  const sources = included.flatMap(([field, definition]) => {
    const source = given[definition.name] ?? (withDefaults && typeof definition.default === 'string' ? definition.default : undefined);
    return source === undefined || URL_SOURCE.test(source) ? [] : [{ field, definition, source }];
  });
  if (sources.length === 0) return given;
  const { storage } = openBackends(backends, config, flow.flowDir);
  const store = new FlowDataStore(storage, flow.graph.flowName, registry.serializers());
  const result = { ...given };
  for (const { field, definition, source } of sources) {
    const values = await readIncludedFiles(new Map([[field, definition]]), new Map([[field, source]]), config, process.cwd());
    const value = values.get(field) as string | Buffer;
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const key = await store.saveIncludedFile(createHash('sha256').update(bytes).digest('hex'), bytes);
    result[definition.name] = `${storage.root.replace(/\/+$/, '')}/${key}`;
  }
  return result;
}
