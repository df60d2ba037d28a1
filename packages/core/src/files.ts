import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a whole file or nothing: the data goes to a temp file beside `path` (its directory made
 * as needed), then is renamed over it, so a reader never sees a partial file; a failed write
 * removes its temp file and throws.
 */
export function writeFileAtomically(path: string, data: string | NodeJS.ArrayBufferView): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
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
