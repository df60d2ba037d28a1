import { createReadStream, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GcsError, ObjectHashes, notFound } from './http';

/** One live object: its attributes in memory, its bytes in a file of its own. */
export interface StoredObject {
  bucket: string;
  name: string;
  generation: number;
  metageneration: number;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  md5Hash: string;
  crc32c: string;
  file: string;
  timeCreated: string;
  updated: string;
}

interface Bucket {
  name: string;
  timeCreated: string;
  objects: Map<string, StoredObject>;
}

/** The preconditions of the JSON API, as query parameters. */
export type Preconditions = Partial<Record<'ifGenerationMatch' | 'ifGenerationNotMatch' | 'ifMetagenerationMatch' | 'ifMetagenerationNotMatch', string>>;

export function preconditionsOf(query: URLSearchParams): Preconditions {
  const found: Preconditions = {};
  for (const name of ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const) {
    const value = query.get(name);
    if (value !== null) found[name] = value;
  }
  return found;
}

/** What an upload brings besides its bytes. */
export interface NewObject {
  contentType?: string;
  metadata?: Record<string, string>;
}

/**
 * Buckets and objects without versioning: writing a name replaces its object with a new generation
 * (numbers that only grow), the old bytes go away. Files are renamed into place, so a reader holding a
 * file keeps reading whole bytes.
 */
export class GcsStore {
  private readonly buckets = new Map<string, Bucket>();
  private nextGeneration = Date.now() * 1000;
  private nextFile = 0;

  constructor(private readonly dir: string) {}

  createBucket(name: string): void {
    if (this.buckets.has(name)) throw new GcsError(409, 'conflict', `Your previous request to create the named bucket succeeded and you already own it.`);
    this.buckets.set(name, { name, timeCreated: new Date().toISOString(), objects: new Map() });
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    for (const object of bucket.objects.values()) rmSync(object.file, { force: true });
    this.buckets.delete(name);
  }

  bucketResource(name: string): Record<string, unknown> {
    const bucket = this.bucket(name);
    return { kind: 'storage#bucket', id: name, name, location: 'US', storageClass: 'STANDARD', timeCreated: bucket.timeCreated, updated: bucket.timeCreated, metageneration: '1' };
  }

  bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw notFound('The specified bucket does not exist.');
    return bucket;
  }

  /** The live object, checked against preconditions; `generation` pins a generation. */
  object(bucketName: string, name: string, preconditions: Preconditions = {}, generation?: string): StoredObject {
    const object = this.bucket(bucketName).objects.get(name);
    checkPreconditions(object, preconditions);
    if (!object || (generation !== undefined && generation !== String(object.generation))) throw notFound(`No such object: ${bucketName}/${name}`);
    return object;
  }

  /** A fresh file name for bytes on their way in. */
  tempFile(): string {
    return join(this.dir, `upload-${this.nextFile++}`);
  }

  /** Makes a finished upload the object's new generation, if the preconditions hold when it lands. */
  async commit(bucketName: string, name: string, file: string, attributes: NewObject, preconditions: Preconditions): Promise<StoredObject> {
    const { size, md5Hash, crc32c } = await hashFile(file);
    const bucket = this.bucket(bucketName);
    const previous = bucket.objects.get(name);
    try {
      checkPreconditions(previous, preconditions);
    } catch (error) {
      rmSync(file, { force: true });
      throw error;
    }
    const generation = this.nextGeneration++;
    const stored = join(this.dir, `object-${generation}`);
    renameSync(file, stored);
    if (previous) rmSync(previous.file, { force: true });
    const now = new Date().toISOString();
    const object: StoredObject = {
      bucket: bucketName,
      name,
      generation,
      metageneration: 1,
      size,
      contentType: attributes.contentType ?? 'application/octet-stream',
      metadata: attributes.metadata ?? {},
      md5Hash,
      crc32c,
      file: stored,
      timeCreated: now,
      updated: now,
    };
    bucket.objects.set(name, object);
    return object;
  }

  /** objects.patch: contentType and metadata (a null value removes a key). */
  patch(bucketName: string, name: string, changes: Record<string, unknown>, preconditions: Preconditions): StoredObject {
    const object = this.object(bucketName, name, preconditions);
    if (typeof changes.contentType === 'string') object.contentType = changes.contentType;
    const metadata = changes.metadata as Record<string, string | null> | null | undefined;
    if (metadata === null) object.metadata = {};
    for (const [key, value] of Object.entries(metadata ?? {})) {
      if (value === null) delete object.metadata[key];
      else object.metadata[key] = String(value);
    }
    object.metageneration++;
    object.updated = new Date().toISOString();
    return object;
  }

  delete(bucketName: string, name: string, preconditions: Preconditions): void {
    const object = this.object(bucketName, name, preconditions);
    this.bucket(bucketName).objects.delete(name);
    rmSync(object.file, { force: true });
  }

  /** Names under a prefix in lexicographic order of their UTF-8 bytes, as GCS lists them. */
  names(bucketName: string, prefix: string): string[] {
    return [...this.bucket(bucketName).objects.keys()].filter((name) => name.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }
}

/**
 * GCS's preconditions: a generation of 0 means "no live object", so `ifGenerationMatch=0` creates only.
 * A mismatch is 412 conditionNotMet; a missing object only fails a match, not a non-match.
 */
function checkPreconditions(object: StoredObject | undefined, preconditions: Preconditions): void {
  const generation = String(object?.generation ?? 0);
  const failed =
    (preconditions.ifGenerationMatch !== undefined && preconditions.ifGenerationMatch !== generation) ||
    (preconditions.ifGenerationNotMatch !== undefined && preconditions.ifGenerationNotMatch === generation) ||
    (preconditions.ifMetagenerationMatch !== undefined && preconditions.ifMetagenerationMatch !== String(object?.metageneration ?? 0)) ||
    (preconditions.ifMetagenerationNotMatch !== undefined && object !== undefined && preconditions.ifMetagenerationNotMatch === String(object.metageneration));
  if (failed) throw new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
}

async function hashFile(file: string): Promise<{ size: number; md5Hash: string; crc32c: string }> {
  const hashes = new ObjectHashes();
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hashes.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, ...hashes.digests() };
}

/** The object resource the JSON API returns (numbers as strings, as on the wire). */
export function objectResource(object: StoredObject, baseUrl: string): Record<string, unknown> {
  const path = `b/${encodeURIComponent(object.bucket)}/o/${encodeURIComponent(object.name)}`;
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/${path}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.size),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64'),
    timeCreated: object.timeCreated,
    updated: object.updated,
    ...(Object.keys(object.metadata).length > 0 ? { metadata: object.metadata } : {}),
  };
}
