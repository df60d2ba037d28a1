import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { Settings, type Config } from './config';
import { ConfigError, ParameterError } from './errors';
import { Parameter, type IncludeEncoding, type ParameterDefinition } from './parameter';
import { registry } from './plugins';

export interface IncludeFileOptions {
  /** Shown in `flowkit run --help`. */
  help?: string;
  /** The path (relative to the working directory) or URL (`s3://...`) read when none is given. */
  default?: string;
  /** Refuse to start the run when no file is given. */
  required?: boolean;
  /** `utf-8` (default): the field is a string; `binary`: a Buffer. */
  encoding?: IncludeEncoding;
}

/**
 * Declares a file the run reads at its start and stores as an artifact, so the run stays reproducible
 * when the file changes later: `data = IncludeFile('data', { default: 'movies.csv' })`, overridden with
 * `--data other.csv` or `--data s3://bucket/movies.csv`. In steps the field is the file's content.
 */
export function IncludeFile(name: string, options: IncludeFileOptions & { encoding: 'binary' }): Buffer;
export function IncludeFile(name: string, options?: IncludeFileOptions & { encoding?: 'utf-8' }): string;
export function IncludeFile(name: string, options: IncludeFileOptions = {}): string | Buffer {
  const definition = Parameter(name, { help: options.help, default: options.default, required: options.required, type: 'string' }) as unknown as ParameterDefinition;
  definition.include = { encoding: options.encoding ?? 'utf-8' };
  return definition as unknown as string;
}

const URL_PATTERN = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * Replaces the value of every IncludeFile parameter (a path or URL) with the file's content. Local
 * paths resolve from `cwd`; URLs go to the UrlReader plugin registered for their scheme. A file larger than
 * FLOWKIT_INCLUDE_FILE_MAX_MB is refused; `signal` stops a local read (Ctrl-C while reading `/dev/zero`).
 */
export async function readIncludedFiles(
  definitions: Map<string, ParameterDefinition>,
  values: Map<string, unknown>,
  config: Config,
  cwd: string,
  signal?: AbortSignal,
): Promise<Map<string, unknown>> {
  const limit = maxBytes(config);
  const result = new Map(values);
  for (const [field, definition] of definitions) {
    const source = values.get(field);
    if (!definition.include || source === undefined) continue;
    if (typeof source !== 'string' || source === '') {
      throw new ParameterError(`IncludeFile '${definition.name}' takes a path or URL, got ${JSON.stringify(source)}.`, { hint: `pass --${definition.name} path/to/file` });
    }
    const bytes = await readSource(definition.name, source, config, cwd, { limit, signal });
    result.set(field, definition.include.encoding === 'binary' ? bytes : bytes.toString('utf8'));
  }
  return result;
}

function maxBytes(config: Config): number {
  const text = config.get(Settings.includeFileMaxMb);
  const mb = text === undefined ? 256 : Number(text);
  if (!(mb > 0)) throw new ConfigError(`${Settings.includeFileMaxMb} takes a positive number of MB, got '${text}'.`, { hint: `e.g. ${Settings.includeFileMaxMb}=256` });
  return mb * 1024 * 1024;
}

function tooLarge(name: string, source: string, limit: number): ParameterError {
  // The limit as set (FLOWKIT_INCLUDE_FILE_MAX_MB), without floating-point noise.
  const mb = Number((limit / 1024 / 1024).toPrecision(12));
  return new ParameterError(`IncludeFile '${name}': ${source} is larger than ${mb} MB, the most an IncludeFile reads.`, {
    hint: `raise ${Settings.includeFileMaxMb}, or read a file that large in a step instead of including it`,
  });
}

async function readSource(name: string, source: string, config: Config, cwd: string, options: { limit: number; signal?: AbortSignal }): Promise<Buffer> {
  const scheme = URL_PATTERN.exec(source)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    let bytes: Buffer;
    try {
      const reader = registry.urlReader(scheme);
      // Refused before a byte is read where the reader can tell the size; after the read where it cannot.
      if (((await reader.size?.(source, config)) ?? 0) > options.limit) throw tooLarge(name, source, options.limit);
      bytes = await reader.read(source, config);
    } catch (error) {
      if (error instanceof ParameterError) throw error;
      throw new ParameterError(`IncludeFile '${name}' cannot read ${source}: ${(error as Error).message}`, { hint: (error as { hint?: string }).hint ?? `check the URL, or pass --${name} with another file`, cause: error });
    }
    if (bytes.length > options.limit) throw tooLarge(name, source, options.limit);
    return bytes;
  }
  const path = resolve(cwd, source);
  try {
    // Streamed, not readFile: a device or a pipe (`/dev/zero`) has no size to check up front.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of createReadStream(path, { signal: options.signal }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.limit) throw tooLarge(name, path, options.limit);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  } catch (error) {
    if (error instanceof ParameterError || options.signal?.aborted) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(error as Error).message})`;
    throw new ParameterError(`IncludeFile '${name}': ${path} ${why}.`, { hint: `pass --${name} with the path of a readable file (relative paths start from ${cwd})` });
  }
}
