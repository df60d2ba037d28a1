import { homedir } from 'node:os';
import { join } from 'node:path';
import { hostSetting, type Config } from '@flowkit/core/plugin';

/** The settings of `--environment packages` (environment, else the profile). */
export const PackagesSettings = {
  /** Where environments and resolved lockfiles are kept (default: `flowkit/environments` in $XDG_CACHE_HOME, else ~/.cache). */
  cacheDir: hostSetting('FLOWKIT_PACKAGES_CACHE_DIR'),
  /** Where builds take their locks (default: the cache directory): one every user of a shared cache can write. */
  lockDir: hostSetting('FLOWKIT_PACKAGES_LOCK_DIR'),
  /** The npm command environments are built with (default: `npm` on PATH); its registry and auth come from its own config. */
  npm: hostSetting('FLOWKIT_PACKAGES_NPM'),
} as const;

export interface CacheLocation {
  cacheDir: string;
  lockDir: string;
  npm: string;
}

export function cacheLocation(config: Config): CacheLocation {
  const cacheDir = config.get(PackagesSettings.cacheDir) ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'flowkit', 'environments');
  return { cacheDir, lockDir: config.get(PackagesSettings.lockDir) ?? join(cacheDir, 'locks'), npm: config.get(PackagesSettings.npm) ?? 'npm' };
}
