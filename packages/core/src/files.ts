import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that fails where Node's own spins forever: under /proc, mkdir says ENOENT while the parent exists,
 * and Node's recursive mkdir retries without end. Here a directory whose parent exists but that still cannot be
 * made throws that ENOENT. As cheap as Node's when the parent exists (one mkdir).
 */
export function makeDirectory(path: string): void {
  try {
    mkdirSync(path);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(path) === path) throw error;
  }
  makeDirectory(dirname(path));
  try {
    mkdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Writes a whole file or nothing: the data goes to a temp file beside `path` (its directory made
 * as needed), then is renamed over it, so a reader never sees a partial file; a failed write
 * removes its temp file and throws.
 */
export function writeFileAtomically(path: string, data: string | NodeJS.ArrayBufferView): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    makeDirectory(dirname(path));
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    // Best effort: where the directory could not be made, removing the temp file fails too, and would hide why.
    try {
      rmSync(temp, { force: true });
    } catch {}
    throw error;
  }
}
