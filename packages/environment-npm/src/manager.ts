import { join } from 'node:path';
import { makeDirectory } from '@flowkit/core/internal';
import type { EnvironmentContext, EnvironmentManager, PreparedEnvironments } from '@flowkit/core/plugin';
import { ensureEnvironment, resolveLockfile } from './environmentCache';
import { cacheLocation } from './settings';
import type { PackageVersions } from './taskPlugin';

/** What a run stores per step: the versions asked for and the lockfile they resolved to. */
export interface StoredEnvironment {
  packages: PackageVersions;
  lockfile: string;
}

/**
 * `--environment packages`: each step's packages (@packagesBase, then its own @packages) resolved by npm once per
 * distinct set and installed into a content-addressed environment shared by every run that resolves to the same
 * lockfile. A resumed run installs the lockfiles its origin stored, so it runs with exactly the same versions.
 */
export const packagesEnvironment: EnvironmentManager = {
  name: 'packages',
  declareHint: "declare it with @packages({ '<name>': '<version>' }) on the step, or @packagesBase on the flow",
  async prepare(context: EnvironmentContext): Promise<PreparedEnvironments> {
    const location = cacheLocation(context.config);
    const prepared: PreparedEnvironments = { steps: {}, record: {} };
    // One build per distinct set, however many steps share it.
    const builds = new Map<string, Promise<{ dir: string; lockfile: string }>>();
    const stepsOf = (set: string) => Object.keys(context.requests).filter((step) => JSON.stringify(sorted(context.requests[step] ?? {})) === set);
    await Promise.all(
      Object.entries(context.requests).map(async ([step, packages]) => {
        const names = Object.keys(packages);
        if (names.length === 0) {
          prepared.steps[step] = { dir: emptyEnvironment(location.cacheDir), names };
          return;
        }
        const origin = context.origin?.[step] as StoredEnvironment | undefined;
        const set = JSON.stringify(sorted(packages));
        const what = `@packages of step${stepsOf(set).length > 1 ? 's' : ''} ${stepsOf(set).map((s) => `'${s}'`).join(', ')}`;
        const reuse = origin && JSON.stringify(sorted(origin.packages)) === set ? origin.lockfile : undefined;
        const key = `${set}\0${reuse ?? ''}`;
        if (!builds.has(key)) {
          builds.set(key, (async () => {
            const lockfile = reuse ?? (await resolveLockfile(location, packages, what));
            return { dir: await ensureEnvironment(location, packages, lockfile, what, context.info), lockfile };
          })());
        }
        const { dir, lockfile } = await (builds.get(key) as Promise<{ dir: string; lockfile: string }>);
        prepared.steps[step] = { dir, names };
        prepared.record[step] = { packages, lockfile } satisfies StoredEnvironment;
      }),
    );
    return prepared;
  },
};

function sorted(packages: PackageVersions): Array<[string, string]> {
  return Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The environment of a step that declared no package: it may import none. */
function emptyEnvironment(cacheDir: string): string {
  const dir = join(cacheDir, 'empty');
  makeDirectory(dir);
  return dir;
}
