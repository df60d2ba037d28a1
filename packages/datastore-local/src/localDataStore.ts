import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writevSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeDirectory } from '@flowkit/core/internal';
import { DataStoreError, chunksOf, validateStorageKey, type Bytes, type DataStore } from '@flowkit/core/plugin';

const TEMP_SUFFIX = '.tmp';
/** Chunks per writev call (IOV_MAX is 1024 on Linux). */
const MAX_IOVECS = 1024;

/**
 * A DataStore on a local directory. Writes go to a temp file beside the target and are renamed
 * into place, so a reader sees a whole file or none; keys are checked so none leaves the root.
 */
export class LocalDataStore implements DataStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, data: Bytes, options: { ifAbsent?: boolean } = {}): Promise<void> {
    this.putSync(key, data, options);
  }

  /** Synchronous put, for the local metadata provider's small records. */
  putSync(key: string, data: Bytes, options: { ifAbsent?: boolean } = {}): void {
    const path = this.path(key);
    if (options.ifAbsent && existsSync(path)) return;
    this.writeAtomically(key, path, (temp) => writeChunks(temp, chunksOf(data)));
  }

  async putFile(key: string, source: string): Promise<void> {
    const path = this.path(key);
    this.writeAtomically(key, path, (temp) => copyFileSync(source, temp));
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.getSync(key);
  }

  getSync(key: string): Buffer | undefined {
    const path = this.path(key);
    try {
      return readFileSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.failure(key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    return existsSync(this.path(key));
  }

  /** A `file://` URL: what a task on this machine (or one that mounts the same directory) can read. */
  async url(key: string): Promise<string> {
    return pathToFileURL(this.path(key)).href;
  }

  async list(prefix: string): Promise<string[]> {
    return this.listSync(prefix);
  }

  listSync(prefix: string): string[] {
    const path = prefix === '' ? this.root : this.path(prefix);
    try {
      return readdirSync(path).filter((name) => !name.endsWith(TEMP_SUFFIX));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw this.failure(prefix, error);
    }
  }

  /** Creates a directory that must not exist yet; false when it does (the atomic step of id allocation). */
  createExclusive(key: string): boolean {
    const path = this.path(key);
    try {
      makeDirectory(resolve(path, '..'));
      mkdirSync(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw this.failure(key, error);
    }
  }

  /** Removes what createExclusive made, when it is at least `olderThanMs` old; true when removed. */
  releaseExclusive(key: string, olderThanMs = 0): boolean {
    const path = this.path(key);
    try {
      if (olderThanMs > 0 && Date.now() - statSync(path).mtimeMs < olderThanMs) return false;
      rmdirSync(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw this.failure(key, error);
    }
  }

  /** The file behind a key; refuses keys that are malformed or would leave the root. */
  path(key: string): string {
    return join(this.root, ...validateStorageKey(key, this.root).split('/'));
  }

  private writeAtomically(key: string, path: string, write: (temp: string) => void): void {
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
    try {
      makeDirectory(resolve(path, '..'));
      write(temp);
      renameSync(temp, path);
    } catch (error) {
      removeQuietly(temp);
      throw this.failure(key, error);
    }
  }

  private failure(key: string, error: unknown): DataStoreError {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOENT from mkdir: a part of the root that cannot be made (a read-only mount).
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || (code === 'ENOENT' && (error as NodeJS.ErrnoException).syscall === 'mkdir')) {
      return new DataStoreError(`Datastore root ${this.root} is not writable (${code} on ${key}).`, {
        hint: 'choose another with --datastore-root or FLOWKIT_DATASTORE_SYSROOT_LOCAL',
        cause: error,
      });
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new DataStoreError(`Disk full while writing ${key} under ${this.root}; nothing partial was kept.`, {
        hint: 'free space (or use another --datastore-root), then resume the run',
        cause: error,
      });
    }
    return new DataStoreError(`Datastore ${this.root} failed on ${key}: ${(error as Error).message}`, { cause: error });
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // The directory itself is unusable; there is no temp file to remove.
  }
}

/** Writes every chunk in order with as few system calls as the kernel allows (writev may write part of them). */
function writeChunks(path: string, chunks: readonly Buffer[]): void {
  const fd = openSync(path, 'w');
  try {
    let pending = chunks.filter((chunk) => chunk.length > 0);
    while (pending.length > 0) {
      let written = writevSync(fd, pending.slice(0, MAX_IOVECS));
      const rest: Buffer[] = [];
      for (const chunk of pending) {
        if (written >= chunk.length) written -= chunk.length;
        else {
          rest.push(written > 0 ? chunk.subarray(written) : chunk);
          written = 0;
        }
      }
      pending = rest;
    }
  } finally {
    closeSync(fd);
  }
}
