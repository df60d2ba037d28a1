import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FlowKitError } from '@flowkit/core';
import type { PackagedFile } from '@flowkit/core/plugin';

/** Directories never walked: version control, FlowKit's own data, installed packages (the bundle has what tasks import), credentials. */
const SKIPPED_DIRECTORIES = new Set(['.git', '.flowkit', 'node_modules', '.ssh', '.aws']);

/** Files never packaged whatever the suffixes: environment files and the usual names of keys and credentials. */
const SECRET_FILE = /^\.env(\..*)?$|\.env$|^\.npmrc$|^\.netrc$|^\.pgpass$|^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$|\.(pem|key|p12|pfx)$/i;

/** The most the packaged files may weigh together: every remote task downloads them. */
const MAX_BYTES = 50 * 1024 * 1024;

/**
 * The files of the flow's directory whose names end with one of the suffixes (`.csv`), with their paths relative
 * to it, for the code package. Symlinks are followed, but never back into a directory being walked (a loop);
 * `.git`, `.flowkit`, `node_modules`, `.env` files and other credential files are never taken.
 */
export function collectPackageFiles(flowDir: string, suffixes: string[]): PackagedFile[] {
  const files: PackagedFile[] = [];
  const walk = (dir: string, ancestors: Set<string>) => {
    for (const name of readDirectory(dir)) {
      const path = join(dir, name);
      // Follows symlinks; a dangling one is not a file of the flow.
      const stats = statSync(path, { throwIfNoEntry: false });
      if (stats?.isDirectory()) {
        const real = realpathSync(path);
        if (!SKIPPED_DIRECTORIES.has(name) && !ancestors.has(real)) walk(path, new Set([...ancestors, real]));
      } else if (stats?.isFile() && suffixes.some((suffix) => name.endsWith(suffix)) && !SECRET_FILE.test(name)) {
        files.push({ path: relative(flowDir, path).split(sep).join('/'), source: path, size: stats.size });
      }
    }
  };
  walk(flowDir, new Set([realpathSync(flowDir)]));
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (total > MAX_BYTES) {
    const largest = [...files].sort((a, b) => b.size - a.size).slice(0, 3).map((file) => `${file.path} (${megabytes(file.size)})`);
    throw new FlowKitError(`The files --package-suffixes ${suffixes.join(',')} adds to the code package weigh ${megabytes(total)}, more than ${megabytes(MAX_BYTES)}; the largest: ${largest.join(', ')}.`, {
      hint: 'narrow the suffixes, or keep large data in the datastore (an IncludeFile parameter, S3) instead of the code package',
    });
  }
  return files;
}

/**
 * The files of a step's environment (what its node_modules holds), for a task elsewhere: regular files only
 * (`.bin` links are for commands, not imports).
 */
export function environmentFiles(dir: string): PackagedFile[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.split(sep).includes('.bin'))
    .map((source) => ({ path: relative(dir, source).split(sep).join('/'), source, size: statSync(source).size }));
}

function readDirectory(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (error) {
    throw new FlowKitError(`Cannot read ${dir} to package its files (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, {
      hint: 'make it readable, or narrow --package-suffixes',
    });
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The packaged files as one blob the bootstrap unpacks with Node alone: gzip of a JSON header line
 * (`[[path, size], ...]`) followed by the files' bytes in that order. Files are in path order, so the same files
 * make the same bytes, and the same sha256.
 */
export function packFiles(files: PackagedFile[]): Buffer {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const contents = sorted.map((file) => readFileSync(file.source));
  const header = JSON.stringify(sorted.map((file, i) => [file.path, (contents[i] as Buffer).length]));
  return gzipSync(Buffer.concat([Buffer.from(`${header}\n`), ...contents]));
}
