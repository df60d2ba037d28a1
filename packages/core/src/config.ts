import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './errors';

const secretSettings = new Set<string>();
const hostSettings = new Set<string>();

/** Declares a credential setting: a task on another machine gets it only by reference (a Kubernetes or Batch secret). */
export function secretSetting<N extends string>(name: N): N {
  secretSettings.add(name);
  return name;
}

/** Declares a setting that means something on this machine only (a local path): never sent to another machine. */
export function hostSetting<N extends string>(name: N): N {
  hostSettings.add(name);
  return name;
}

/**
 * Settings are named once, as FLOWKIT_* names: core's here, each plugin's in its own package, secret and
 * host-bound ones declared as such where they are named. A value comes from the environment, else from the
 * profile JSON `$FLOWKIT_HOME/config[_<profile>].json` (written by `flowkit configure`), else a default.
 */
export const Settings = {
  home: hostSetting('FLOWKIT_HOME'),
  /** Host-bound: a remote task gets the profile's values, not its name. */
  profile: hostSetting('FLOWKIT_PROFILE'),
  user: 'FLOWKIT_USER',
  defaultDatastore: 'FLOWKIT_DEFAULT_DATASTORE',
  defaultMetadata: 'FLOWKIT_DEFAULT_METADATA',
  /** Sidecars with the role 'event-logger' that hear every run without `--event-logger` (comma-separated names). */
  eventLogger: 'FLOWKIT_EVENT_LOGGER',
  /** Sidecars with the role 'monitor' that hear every run without `--monitor` (comma-separated names). */
  monitor: 'FLOWKIT_MONITOR',
  /** The level of `current.logger` in tasks: fatal, error, warn, info (default), debug, trace or silent. */
  logLevel: 'FLOWKIT_LOG_LEVEL',
  /** The environment manager runs use when `--environment` is not given (none by default). */
  defaultEnvironment: 'FLOWKIT_DEFAULT_ENVIRONMENT',
  datastoreSysrootLocal: hostSetting('FLOWKIT_DATASTORE_SYSROOT_LOCAL'),
  /** Root of the default datastore, whatever its kind; task processes get it from their run. */
  datastoreRoot: 'FLOWKIT_DATASTORE_ROOT',
  plugins: 'FLOWKIT_PLUGINS',
  /** Seconds between a scheduler's heartbeats to a metadata provider that tracks liveness. */
  heartbeatSeconds: 'FLOWKIT_HEARTBEAT_SECONDS',
  /** The largest file an IncludeFile reads, in MB (default 256): the whole file becomes one artifact, in memory. */
  includeFileMaxMb: 'FLOWKIT_INCLUDE_FILE_MAX_MB',
} as const;

export class Config {
  constructor(private readonly values: Readonly<Record<string, string>>) {}

  get(name: string): string | undefined {
    const value = this.values[name];
    return value === undefined || value === '' ? undefined : value;
  }

  /** A setting that is a positive number of seconds, `fallback` when unset; anything else is refused, naming it. */
  seconds(name: string, fallback: number): number {
    const text = this.get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!(value > 0)) throw new ConfigError(`${name} must be a positive number of seconds, got ${JSON.stringify(text)}.`, { hint: `e.g. ${name}=${fallback}` });
    return value;
  }

  /** A copy with some settings replaced (command-line options win over everything). */
  with(overrides: Record<string, string | undefined>): Config {
    const values = { ...this.values };
    for (const [name, value] of Object.entries(overrides)) if (value !== undefined) values[name] = value;
    return new Config(values);
  }

  /** Settings to hand to a task process so it sees the same configuration. */
  toEnv(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.values).filter(([name]) => name.startsWith('FLOWKIT_')));
  }
}

/** A task's environment as it may be written into a remote task's spec: without secret and host-bound settings. */
export function remoteEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !secretSettings.has(name) && !hostSettings.has(name)));
}

/** The values of the secret settings set in config: what a debug line must never show. */
export function secretSettingValues(config: Config): string[] {
  return [...secretSettings].map((name) => config.get(name)).filter((value) => value !== undefined);
}

/**
 * Refuses, before anything is submitted, a secret setting set here that no remote task could get: one that
 * `referenced` says the backend has no reference for. `how` says how to pass it; `who` names the tasks refused.
 */
export function requireSecretReferences(config: Config, referenced: (name: string) => boolean, how: (name: string) => string, who = 'remote tasks'): void {
  const missing = [...secretSettings].find((name) => config.get(name) !== undefined && !referenced(name));
  if (missing !== undefined) throw new ConfigError(`${missing} is a secret: ${who} get it only by reference, and none is configured.`, { hint: how(missing) });
}

export function configHome(env: NodeJS.ProcessEnv = process.env): string {
  return env[Settings.home] || join(homedir(), '.flowkitconfig');
}

export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  const profile = env[Settings.profile];
  return join(configHome(env), profile ? `config_${profile}.json` : 'config.json');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = profilePath(env);
  let profile: Record<string, string> = {};
  if (existsSync(file)) {
    try {
      profile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch (error) {
      throw new ConfigError(`Profile ${file} is not valid JSON: ${(error as Error).message}.`, {
        hint: 'fix the file or write it again with `flowkit configure`',
      });
    }
  }
  const fromEnv = Object.fromEntries(Object.entries(env).filter(([name, value]) => name.startsWith('FLOWKIT_') && value !== undefined));
  return new Config({ ...profile, ...(fromEnv as Record<string, string>) });
}

/** Who runs FlowKit: FLOWKIT_USER, else the login name. */
export function resolveUser(config: Config): string {
  const user = config.get(Settings.user) ?? process.env.USER ?? safeLoginName();
  if (!user) throw new ConfigError('Cannot tell who you are.', { hint: 'set FLOWKIT_USER to your name' });
  return user;
}

function safeLoginName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
