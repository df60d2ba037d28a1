import { openBackends } from '@flowkit/core/internal';
import { ENVIRONMENTS_STEP, FlowDataStore, PathspecError, PluginError, backendOptions, formatTable, loadConfig, parsePathspec, registry, type CliExtension } from '@flowkit/core/plugin';
import { listEnvironments, pruneEnvironments } from './environmentCache';
import type { StoredEnvironment } from './manager';
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

/** `flowkit environment show Flow/run/step`: what a run's step imported its packages from. */
async function show(args: Record<string, unknown>): Promise<void> {
  const text = String(args.pathspec);
  const { flow, run, step } = parsePathspec(text);
  if (run === undefined || step === undefined) throw new PathspecError(`${text} does not name a step of a run.`, { hint: 'write Flow/run/step, e.g. flowkit environment show ScoreFlow/3/train' });
  const config = loadConfig();
  const { storage } = openBackends(args, config, process.cwd());
  const store = new FlowDataStore(storage, flow, registry.serializers());
  const latest = await store.readLatest({ flowName: flow, runId: run, stepName: ENVIRONMENTS_STEP, taskId: '0' });
  const stored = latest?.data.artifacts[step];
  if (!stored) {
    const why = latest ? `step '${step}' is not one of its steps with packages (${Object.keys(latest.data.artifacts).join(', ') || 'none'})` : 'the run does not exist or ran without --environment packages';
    throw new PathspecError(`No environment recorded for ${flow}/${run}/${step}: ${why}.`, { hint: 'check the pathspec; `flowkit show` lists the steps' });
  }
  const { packages, lockfile } = (await store.loadValue(stored)) as StoredEnvironment;
  if (args.lockfile) {
    process.stdout.write(lockfile.endsWith('\n') ? lockfile : `${lockfile}\n`);
    return;
  }
  const installed = Object.entries((JSON.parse(lockfile) as { packages: Record<string, { version?: string }> }).packages)
    .filter(([path]) => path.startsWith('node_modules/'))
    .map(([path, entry]) => [path.slice('node_modules/'.length), entry.version ?? '']);
  const declared = Object.entries(packages).map(([name, version]) => `${name}@${version}`).join(' ');
  process.stdout.write(`${flow}/${run}/${step} declared: ${declared}\n${formatTable([['PACKAGE', 'VERSION'], ...installed])}\n`);
}

/** `flowkit environment list|show|prune`: the environments `--environment packages` built on this machine. */
export const environmentCli: CliExtension = {
  name: 'environment',
  register(cli) {
    cli.command('environment', "The per-step npm environments of --environment packages (this machine's cache)", (environment) =>
      environment
        .command('list', 'List the environments in the cache, last used first', (c) => c, list)
        .command(
          'show <pathspec>',
          "What a run's step imported: the packages it declared and every version its lockfile installs",
          (c) =>
            Object.entries(backendOptions)
              .reduce((options, [name, option]) => options.option(name, option), c)
              .positional('pathspec', { type: 'string', describe: 'Flow/run/step' })
              .option('lockfile', { type: 'boolean', default: false, describe: 'Print the stored package-lock.json instead (for npm ci elsewhere)' }),
          show,
        )
        .command(
          'prune',
          'Delete environments no run used lately',
          (c) =>
            c
              .option('older-than', { type: 'string', default: '30d', describe: 'Unused for at least this long: 90m, 12h, 30d' })
              .option('resolved', { type: 'boolean', default: false, describe: 'Also forget cached resolutions, so ranges resolve anew' }),
          prune,
        )
        .demandCommand(1, 'Say what to do: flowkit environment list|show|prune'),
    );
  },
};
