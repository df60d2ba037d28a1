import { mapLimit } from './concurrency';
import { ArtifactError, DataStoreError } from './errors';
import type { ForeachFrame } from './flowspec';
import type { TaskRef } from './metadata';
import type { DataStore } from './plugins';
import { byteLength, decodeBlob, encodeBlob, sha256, typedArraySerializer, v8Serializer, type Bytes, type Serializer } from './serialization';

/** Attempts per task, the first included; the runtime and readers share this bound. */
export const MAX_ATTEMPTS = 6;

/** The pseudo-step of a run holding what its environments (`--environment`) were built from: task 0, one artifact per step. */
export const ENVIRONMENTS_STEP = '_environments';

/** How an attempt's index points at one stored value. */
export interface ArtifactRef {
  sha: string;
  /** What the value was: `number`, `Map`, `Float64Array`, ... */
  type: string;
  /** Serialized size in bytes. */
  size: number;
  serializer: string;
}

export interface StoredForeachFrame extends ForeachFrame {
  /** The item this task got from the split (`this.input`). */
  input: ArtifactRef;
}

/** What a finished step decided to run next. */
export interface Transition {
  next: string[];
  foreach?: { var: string; items: ArtifactRef[] };
}

/** The record of one successful attempt, written before its DONE marker. */
export interface AttemptData {
  artifacts: Record<string, ArtifactRef>;
  foreachStack: StoredForeachFrame[];
  transition?: Transition;
  /** Artifacts a join upstream did not merge, each with that join's name: absent from here on, never `undefined`. */
  unmerged?: Record<string, string>;
}

export type LogStream = 'stdout' | 'stderr';

const SAVE_CONCURRENCY = 16;

const BLOB_KEY = /^[A-Za-z_][A-Za-z0-9_]*\/data\/[0-9a-f]{2}\/[0-9a-f]{64}$/;

/** True for a content-addressed blob's key: its bytes never change, so a backend may cache them anywhere. */
export function isBlobKey(key: string): boolean {
  return BLOB_KEY.test(key);
}

/** The type name recorded with an artifact. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'Object';
}

/**
 * The layout of one flow's data on any DataStore:
 * ```
 * <Flow>/data/<sha[0:2]>/<sha>                        content-addressed blobs, maybe gzip
 * <Flow>/<run>/<step>/<task>/<attempt>.data.json      the attempt's artifact index
 * <Flow>/<run>/<step>/<task>/<attempt>.<stream>.log   its output
 * <Flow>/<run>/<step>/<task>/<attempt>.DONE           written last: the attempt is complete
 * ```
 * Readers only trust attempts with a DONE marker, so a crash mid-write is never read.
 */
export class FlowDataStore {
  private readonly serializers: Serializer[];

  constructor(
    readonly storage: DataStore,
    readonly flowName: string,
    serializers: Serializer[] = [],
  ) {
    this.serializers = [...serializers, typedArraySerializer, v8Serializer];
  }

  /** Serializes, hashes and stores values; identical values are stored once. */
  async saveArtifacts(values: Map<string, unknown>): Promise<Map<string, ArtifactRef>> {
    const entries = [...values];
    const refs = await mapLimit(entries, SAVE_CONCURRENCY, ([name, value]) => this.saveValue(name, value));
    return new Map(entries.map(([name], i) => [name, refs[i] as ArtifactRef]));
  }

  async saveValue(name: string, value: unknown): Promise<ArtifactRef> {
    const serializer = this.serializers.find((s) => s.canSerialize(value)) as Serializer;
    let data: Bytes;
    try {
      data = serializer.serialize(value);
    } catch (error) {
      // V8's message quotes the value's source (a whole function body): say what it means instead.
      const message = (error as Error).message;
      const reason = message.endsWith('could not be cloned.') ? 'it holds a function or a native handle, which cannot be copied' : message.split('\n')[0]?.replace(/\.$/, '');
      throw new ArtifactError(`Artifact '${name}' (${describeType(value)}) cannot be stored: ${reason}.`, {
        hint: 'store plain data (objects, arrays, Map, Set, Date, typed arrays, Buffer), or register a Serializer for this type',
      });
    }
    const sha = sha256(data);
    await this.storage.put(this.blobKey(sha), encodeBlob(data), { ifAbsent: true });
    return { sha, type: describeType(value), size: byteLength(data), serializer: serializer.name };
  }

  async loadValue(ref: ArtifactRef): Promise<unknown> {
    const stored = await this.storage.get(this.blobKey(ref.sha));
    return this.decode(ref, stored);
  }

  /** Synchronous load; only for backends with getSync. */
  loadValueSync(ref: ArtifactRef): unknown {
    if (!this.storage.getSync) throw new DataStoreError(`The datastore at ${this.storage.root} cannot read synchronously.`);
    return this.decode(ref, this.storage.getSync(this.blobKey(ref.sha)));
  }

  blobKey(sha: string): string {
    return `${this.flowName}/data/${sha.slice(0, 2)}/${sha}`;
  }

  /** Writes the attempt's index, then its DONE marker. */
  async commitAttempt(ref: TaskRef, attempt: number, data: AttemptData): Promise<void> {
    await this.writeAttemptData(ref, attempt, data);
    await this.markDone(ref, attempt);
  }

  /** The attempt's index; invisible to readers until markDone. */
  async writeAttemptData(ref: TaskRef, attempt: number, data: AttemptData): Promise<void> {
    await this.storage.put(this.attemptKey(ref, attempt, 'data.json'), Buffer.from(JSON.stringify(data)));
  }

  async markDone(ref: TaskRef, attempt: number): Promise<void> {
    await this.storage.put(this.attemptKey(ref, attempt, 'DONE'), Buffer.from(JSON.stringify({ finishedAt: Date.now() })));
  }

  /**
   * Makes `target` a finished copy of a finished attempt (resume): its index and logs are copied, its
   * artifacts keep pointing at the same blobs, so no data is copied. The DONE marker is written last.
   */
  async cloneAttempt(source: TaskRef, sourceAttempt: number, target: TaskRef, attempt: number): Promise<void> {
    for (const suffix of ['stdout.log', 'stderr.log', 'data.json']) {
      const data = await this.storage.get(this.attemptKey(source, sourceAttempt, suffix));
      if (data) await this.storage.put(this.attemptKey(target, attempt, suffix), data);
    }
    await this.markDone(target, attempt);
  }

  /** The highest attempt with a DONE marker, or undefined when none finished. */
  async latestDoneAttempt(ref: TaskRef): Promise<number | undefined> {
    return latestDone(await this.storage.list(this.taskPrefix(ref)));
  }

  /**
   * What an attempt left, from one listing of its task: the task's highest finished attempt, and whether the logs of
   * `attempt` (default: that finished one) were stored (a task elsewhere stores them after DONE).
   */
  async attemptOutcome(ref: TaskRef, attempt?: number): Promise<{ latestDone: number | undefined; logsSaved: boolean }> {
    const names = await this.storage.list(this.taskPrefix(ref));
    const latest = latestDone(names);
    const of = attempt ?? latest;
    return { latestDone: latest, logsSaved: of !== undefined && names.includes(`${of}.stdout.log`) && names.includes(`${of}.stderr.log`) };
  }

  async readAttempt(ref: TaskRef, attempt: number): Promise<AttemptData> {
    const data = await this.storage.get(this.attemptKey(ref, attempt, 'data.json'));
    if (!data) throw new DataStoreError(`No data for attempt ${attempt} of ${this.taskPrefix(ref)}.`);
    return JSON.parse(data.toString('utf8')) as AttemptData;
  }

  /** The latest finished attempt's data, or undefined when the task never finished. */
  async readLatest(ref: TaskRef): Promise<{ attempt: number; data: AttemptData } | undefined> {
    const attempt = await this.latestDoneAttempt(ref);
    return attempt === undefined ? undefined : { attempt, data: await this.readAttempt(ref, attempt) };
  }

  async saveLog(ref: TaskRef, attempt: number, stream: LogStream, file: string): Promise<void> {
    await this.storage.putFile(this.attemptKey(ref, attempt, `${stream}.log`), file);
  }

  async loadLog(ref: TaskRef, attempt: number, stream: LogStream): Promise<Buffer | undefined> {
    return this.storage.get(this.attemptKey(ref, attempt, `${stream}.log`));
  }

  /** The record files a task launched elsewhere kept for a host-bound metadata provider (name -> content). */
  async saveRecords(ref: TaskRef, attempt: number, files: Record<string, string>): Promise<void> {
    await this.storage.put(this.attemptKey(ref, attempt, 'records.json'), Buffer.from(JSON.stringify(files)));
  }

  async loadRecords(ref: TaskRef, attempt: number): Promise<Record<string, string> | undefined> {
    const data = await this.storage.get(this.attemptKey(ref, attempt, 'records.json'));
    return data && (JSON.parse(data.toString('utf8')) as Record<string, string>);
  }

  /**
   * How many tasks a finished foreach fans out to, as `{"splits": n}` at a fixed key beside its attempts: what a
   * state machine reads (an S3 GetObject) to size its Map, since only references travel through the engine.
   */
  async saveSplitCount(ref: TaskRef, count: number): Promise<void> {
    await this.storage.put(this.splitCountKey(ref), Buffer.from(JSON.stringify({ splits: count })));
  }

  splitCountKey(ref: TaskRef): string {
    return `${this.taskPrefix(ref)}/splits.json`;
  }

  /** Stores a code package (and its source map) under `<flow>/_code/`, once; returns the bundle's key. */
  async saveCodePackage(sha: string, code: Buffer, map: Buffer | undefined): Promise<string> {
    const key = `${this.flowName}/_code/${sha}.cjs`;
    if (map) await this.storage.put(`${key}.map`, map, { ifAbsent: true });
    await this.storage.put(key, code, { ifAbsent: true });
    return key;
  }

  /** Stores the files a code package ships beside its bundle (one archive) under `<flow>/_code/`, once; returns its key. */
  async saveCodePackageFiles(sha: string, archive: Buffer): Promise<string> {
    const key = `${this.flowName}/_code/${sha}.files`;
    await this.storage.put(key, archive, { ifAbsent: true });
    return key;
  }

  /** Stores the manifest a task elsewhere fetches its code package's parts by (JSON) under `<flow>/_code/`, once; returns its key. */
  async saveCodePackageManifest(sha: string, json: Buffer): Promise<string> {
    const key = `${this.flowName}/_code/${sha}.json`;
    await this.storage.put(key, json, { ifAbsent: true });
    return key;
  }

  /** Stores a file an IncludeFile parameter named, for a run elsewhere to read, under `<flow>/_included/`, once; returns its key. */
  async saveIncludedFile(sha: string, bytes: Buffer): Promise<string> {
    const key = `${this.flowName}/_included/${sha}`;
    await this.storage.put(key, bytes, { ifAbsent: true });
    return key;
  }

  taskPrefix(ref: TaskRef): string {
    return `${this.flowName}/${ref.runId}/${ref.stepName}/${ref.taskId}`;
  }

  private attemptKey(ref: TaskRef, attempt: number, suffix: string): string {
    return `${this.taskPrefix(ref)}/${attempt}.${suffix}`;
  }

  private decode(ref: ArtifactRef, stored: Buffer | undefined): unknown {
    if (!stored) throw new DataStoreError(`Blob ${ref.sha} is missing from ${this.storage.root}.`, { hint: 'the datastore was modified outside FlowKit' });
    const serializer = this.serializers.find((s) => s.name === ref.serializer);
    if (!serializer) {
      throw new ArtifactError(`No serializer '${ref.serializer}' is loaded to read a ${ref.type} artifact.`, {
        hint: 'install the plugin that registered that serializer',
      });
    }
    return serializer.deserialize(decodeBlob(stored));
  }
}

/** The highest attempt a task listing shows a DONE marker for. */
function latestDone(names: string[]): number | undefined {
  let latest: number | undefined;
  for (const name of names) {
    const match = /^(\d+)\.DONE$/.exec(name);
    if (match) latest = Math.max(latest ?? -1, Number(match[1]));
  }
  return latest;
}
