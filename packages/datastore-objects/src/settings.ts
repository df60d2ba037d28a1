import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type Config } from '@flowkit/core/plugin';

/**
 * A numeric setting: the default when unset, else a number >= `min` (a whole one unless `fractional`).
 * A bad value is refused with the setting's name, never silently replaced.
 */
export function numberSetting(config: Config, name: string, fallback: number, min: number, fractional = false): number {
  const text = config.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || (!fractional && !Number.isInteger(value))) {
    throw new ConfigError(`${name}=${text} is not valid.`, { hint: `set it to a ${fractional ? 'number' : 'whole number'} >= ${min}` });
  }
  return value;
}

/** An endpoint setting (`http(s)://host[:port]`), or undefined when unset. */
export function endpointSetting(config: Config, name: string): string | undefined {
  const endpoint = config.get(name);
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    throw new ConfigError(`${name}=${endpoint} is not an endpoint URL.`, { hint: 'write it as http(s)://host[:port], e.g. http://127.0.0.1:9000' });
  }
  return endpoint;
}

/** Where a store's blob cache lives and how large it may grow. */
export interface CacheOptions {
  cacheDir: string;
  cacheBytes: number;
}

const DEFAULT_CACHE_BYTES = 2 * 1024 ** 3;

/** The cache settings of one store: `dirSetting` (default `<temp>/<defaultDirName>`) and `bytesSetting` (default 2 GiB; 0 turns it off). */
export function cacheSettings(config: Config, dirSetting: string, bytesSetting: string, defaultDirName: string): CacheOptions {
  return {
    cacheDir: config.get(dirSetting) ?? join(tmpdir(), defaultDirName),
    cacheBytes: numberSetting(config, bytesSetting, DEFAULT_CACHE_BYTES, 0),
  };
}
