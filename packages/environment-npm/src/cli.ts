import { PluginError, formatTable, loadConfig, type CliExtension } from '@flowkit/core/plugin';
import { listEnvironments, pruneEnvironments } from './environmentCache';
import { cacheLocation } from './settings';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d`, `12h`, `90m` in milliseconds. */
function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([mhd])$/.exec(text.trim());
  if (!match) throw new PluginError(`--older-than ${text}: not a duration.`, { hint: 'write a number and a unit: 90m, 12h or 30d' });
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

async function list(): Promise<void> {
  const location = cacheLocation(loadConfig());
  const envs = listEnvironments(location).sort((a, b) => b.usedAt.getTime() - a.usedAt.getTime());
  if (envs.length === 0) {
    process.stdout.write(`No environment in ${location.cacheDir}.\n`);
    return;
  }
  const rows = [['ENVIRONMENT', 'PACKAGES', 'SIZE', 'LAST USED', 'NODE']];
  for (const { manifest, usedAt, bytes } of envs) {
    const packages = Object.entries(manifest.packages).map(([name, version]) => `${name}@${version}`).join(' ');
    rows.push([manifest.key.slice(0, 12), packages, megabytes(bytes), usedAt.toISOString().slice(0, 16).replace('T', ' '), manifest.node]);
  }
  process.stdout.write(`${formatTable(rows)}\n${envs.length} environment${envs.length === 1 ? '' : 's'} in ${location.cacheDir}.\n`);
}

async function prune(args: Record<string, unknown>): Promise<void> {
  const olderThan = duration(String(args['older-than']));
  const location = cacheLocation(loadConfig());
  const removed = pruneEnvironments(location, olderThan, args.resolved === true);
  process.stdout.write(`Removed ${removed.length} environment${removed.length === 1 ? '' : 's'} unused for ${args['older-than']}${args.resolved ? ', and the cached resolutions' : ''}.\n`);
}

/** `flowkit environment list|prune`: the environments `--environment packages` built on this machine. */
export const environmentCli: CliExtension = {
  name: 'environment',
  register(cli) {
    cli.command('environment', "The per-step npm environments of --environment packages (this machine's cache)", (environment) =>
      environment
        .command('list', 'List the environments in the cache, last used first', (c) => c, list)
        .command(
          'prune',
          'Delete environments no run used lately',
          (c) =>
            c
              .option('older-than', { type: 'string', default: '30d', describe: 'Unused for at least this long: 90m, 12h, 30d' })
              .option('resolved', { type: 'boolean', default: false, describe: 'Also forget cached resolutions, so ranges resolve anew' }),
          prune,
        )
        .demandCommand(1, 'Say what to do: flowkit environment list|prune'),
    );
  },
};
