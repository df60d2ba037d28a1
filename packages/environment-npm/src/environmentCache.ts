import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@flowkit/core/plugin';
import { makeDirectory, writeFileAtomically } from '@flowkit/core/internal';
import { runNpm } from './npm';
import type { CacheLocation } from './settings';
import type { PackageVersions } from './taskPlugin';

/*
 * The cache, under FLOWKIT_PACKAGES_CACHE_DIR:
 *   resolved/<key>.json   the lockfile npm resolved for a set of requested versions (key: the set, the registry, the Node major)
 *   envs/<key>/           an installed environment (key: its lockfile, Node major, platform, arch), built in a temporary
 *                         directory and renamed into place; MANIFEST names what it holds and the fingerprint of its files
 *   locks/<key>.lock      the build that holds it (host and pid), so concurrent runs build an environment once
 */

const MANIFEST = 'flowkit-environment.json';
/** How long a run waits for another process's build of the same environment. */
const LOCK_WAIT_MS = 30 * 60 * 1000;
const LOCK_POLL_MS = 200;

export interface EnvironmentManifest {
  key: string;
  packages: PackageVersions;
  /** sha256 of every file's path, size, mode and modification time (a symlink's target): what a later run checks. */
  fingerprint: string;
  builtAt: string;
  node: string;
}

/** Where this machine's environments differ: a native addon built for one Node major, platform or arch runs on no other. */
function machine(): string {
  return `node${process.versions.node.split('.')[0]}-${process.platform}-${process.arch}`;
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** Requested versions with their names sorted, so the same set always has the same key. */
function canonical(packages: PackageVersions): string {
  return JSON.stringify(Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/**
 * The lockfile of a set of requested versions: resolved by npm once (`npm install --package-lock-only`), then read
 * from the cache: a run on a warm cache calls no npm. `flowkit environment prune --resolved` forgets resolutions.
 */
export async function resolveLockfile(location: CacheLocation, packages: PackageVersions, what: string): Promise<string> {
  const key = hash(canonical(packages), process.env.npm_config_registry ?? '', machine());
  const cached = join(location.cacheDir, 'resolved', `${key}.json`);
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  const dir = scratchDir(location, 'resolve');
  try {
    writeFileSync(join(dir, 'package.json'), manifestOf(packages));
    await runNpm(location.npm, ['install', '--package-lock-only', '--ignore-scripts'], dir, what);
    const lockfile = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    writeFileAtomically(cached, lockfile);
    return lockfile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The directory of the environment a lockfile describes, built with `npm ci` unless the cache has it intact. A
 * cached one whose files changed (a fingerprint that no longer matches) is built again; concurrent builds of one
 * environment take a lock, so one builds and the others wait for it.
 */
export async function ensureEnvironment(location: CacheLocation, packages: PackageVersions, lockfile: string, what: string, info: (message: string) => void): Promise<string> {
  const key = hash(JSON.stringify((JSON.parse(lockfile) as { packages?: unknown }).packages ?? {}), machine());
  const dir = join(location.cacheDir, 'envs', key);
  if (intact(dir)) return markUsed(dir);
  const release = await lock(location, key, () => intact(dir));
  if (!release) return markUsed(dir);
  try {
    if (intact(dir)) return markUsed(dir);
    info(`Building the environment of ${what} (${Object.entries(packages).map(([name, version]) => `${name}@${version}`).join(', ')})...`);
    const build = scratchDir(location, `build-${key.slice(0, 12)}`);
    try {
      writeFileSync(join(build, 'package.json'), manifestOf(packages));
      writeFileSync(join(build, 'package-lock.json'), lockfile);
      await runNpm(location.npm, ['ci'], build, what);
      const manifest: EnvironmentManifest = { key, packages, fingerprint: fingerprint(build), builtAt: new Date().toISOString(), node: process.version };
      writeFileSync(join(build, MANIFEST), JSON.stringify(manifest, null, 2));
      if (existsSync(dir)) renameSync(dir, scratchDir(location, 'discarded', false));
      makeDirectory(dirname(dir));
      renameSync(build, dir);
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
    return dir;
  } finally {
    release();
  }
}

/** An environment in the cache whose files are as built. */
function intact(dir: string): boolean {
  const manifest = readManifest(dir);
  return manifest !== undefined && manifest.fingerprint === fingerprint(dir);
}

export function readManifest(dir: string): EnvironmentManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as EnvironmentManifest;
  } catch {
    return undefined;
  }
}

/** The manifest's modification time says when a run last used the environment (for prune). */
function markUsed(dir: string): string {
  const now = new Date();
  utimesSync(join(dir, MANIFEST), now, now);
  return dir;
}

/** Every file of an environment but its manifest: path, size, mode and modification time, or a symlink's target. */
function fingerprint(dir: string): string {
  const digest = createHash('sha256');
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))
    .filter((path) => relative(dir, path) !== MANIFEST)
    .sort();
  for (const path of entries) {
    const stats = lstatSync(path);
    const detail = stats.isSymbolicLink() ? readlinkSync(path) : stats.isDirectory() ? 'dir' : `${stats.size} ${stats.mode} ${stats.mtimeMs}`;
    digest.update(`${relative(dir, path)}\0${detail}\n`);
  }
  return digest.digest('hex');
}

function manifestOf(packages: PackageVersions): string {
  return JSON.stringify({ name: 'flowkit-environment', version: '0.0.0', private: true, dependencies: JSON.parse(canonical(packages)) }, null, 2);
}

/** A fresh directory under the cache for work in progress (made unless `make` is false). */
function scratchDir(location: CacheLocation, purpose: string, make = true): string {
  const dir = join(location.cacheDir, 'tmp', `${purpose}-${process.pid}-${randomBytes(4).toString('hex')}`);
  if (make) makeDirectory(dir);
  else makeDirectory(join(location.cacheDir, 'tmp'));
  return dir;
}

/**
 * Takes the build lock of an environment: returns its release, or undefined when another process built the
 * environment while this one waited (`done`). A lock whose process is gone (on this host) is taken over.
 */
async function lock(location: CacheLocation, key: string, done: () => boolean): Promise<(() => void) | undefined> {
  const file = join(location.lockDir, `${key}.lock`);
  try {
    makeDirectory(location.lockDir);
  } catch (error) {
    throw new ConfigError(`Cannot make the environment lock directory ${location.lockDir} (${(error as NodeJS.ErrnoException).code}).`, { hint: 'set FLOWKIT_PACKAGES_LOCK_DIR to a directory this user can write' });
  }
  const owner = `${hostname()} ${process.pid}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      writeFileSync(file, owner, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError(`Cannot take the environment lock ${file} (${(error as NodeJS.ErrnoException).code}).`, { hint: 'set FLOWKIT_PACKAGES_LOCK_DIR to a directory this user can write' });
      }
    }
    if (done()) return undefined;
    if (abandoned(file)) rmSync(file, { force: true });
    else if (Date.now() > deadline) throw new ConfigError(`Waited ${LOCK_WAIT_MS / 60000} minutes for the build that holds ${file}.`, { hint: 'if no run is building environments, delete the lock file' });
    else await sleep(LOCK_POLL_MS);
  }
}

/** A lock taken by a process of this host that no longer runs. */
function abandoned(file: string): boolean {
  let owner: string;
  try {
    owner = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const [host, pid] = owner.split(' ');
  if (host !== hostname() || !pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The environments in the cache, each with its manifest, size on disk and last use. */
export function listEnvironments(location: CacheLocation): Array<{ dir: string; manifest: EnvironmentManifest; usedAt: Date; bytes: number }> {
  const envs = join(location.cacheDir, 'envs');
  if (!existsSync(envs)) return [];
  return readdirSync(envs).flatMap((name) => {
    const dir = join(envs, name);
    const manifest = readManifest(dir);
    if (!manifest) return [];
    return [{ dir, manifest, usedAt: statSync(join(dir, MANIFEST)).mtime, bytes: diskBytes(dir) }];
  });
}

function diskBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((total, entry) => total + statSync(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)).size, 0);
}

/** Deletes the environments no run used for `olderThanMs`; `resolved`: the cached resolutions too. */
export function pruneEnvironments(location: CacheLocation, olderThanMs: number, resolved: boolean): string[] {
  const removed = listEnvironments(location).filter(({ usedAt }) => Date.now() - usedAt.getTime() >= olderThanMs);
  for (const { dir } of removed) rmSync(dir, { recursive: true, force: true });
  if (resolved) rmSync(join(location.cacheDir, 'resolved'), { recursive: true, force: true });
  return removed.map(({ dir }) => dir);
}
