import type { BatchClient, JobDetail, JobStatus } from '@aws-sdk/client-batch';
import {
  PluginError,
  formatTable,
  killSelectionOf,
  loadConfig,
  resolveUser,
  runSelectionOf,
  runSelectionOptions,
  type CliExtension,
  type CommandLine,
  type Config,
  type RunSelection,
} from '@flowkit/core/plugin';
import { batchClient } from './clients';
import { batchSdk } from './sdk';
import { BatchSettings } from './settings';

const ACTIVE: JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING'];

interface Filter extends RunSelection {
  queue: string;
}

function queueOf(args: Record<string, unknown>, config: Config): string {
  const queue = (args.queue as string | undefined) ?? config.get(BatchSettings.jobQueue);
  if (!queue) throw new PluginError('Which job queue?', { hint: `pass --queue q or set ${BatchSettings.jobQueue}` });
  return queue;
}

/** FlowKit's unfinished jobs on a queue that match the filter, read from their tags. */
async function findJobs(client: BatchClient, filter: Filter): Promise<JobDetail[]> {
  const ids: string[] = [];
  for (const jobStatus of ACTIVE) {
    let nextToken: string | undefined;
    do {
      const page = await client.send(new (batchSdk().ListJobsCommand)({ jobQueue: filter.queue, jobStatus, nextToken }));
      ids.push(...(page.jobSummaryList ?? []).map((job) => job.jobId as string));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const jobs: JobDetail[] = [];
  for (let i = 0; i < ids.length; i += 100) jobs.push(...((await client.send(new (batchSdk().DescribeJobsCommand)({ jobs: ids.slice(i, i + 100) }))).jobs ?? []));
  return jobs.filter((job) => {
    const tags = job.tags ?? {};
    return (
      tags['flowkit.flow'] !== undefined &&
      (filter.flow === undefined || tags['flowkit.flow'] === filter.flow) &&
      (filter.runId === undefined || tags['flowkit.run'] === filter.runId) &&
      (filter.user === undefined || tags['flowkit.user'] === filter.user)
    );
  });
}

function table(jobs: JobDetail[]): string {
  const rows = [['JOB ID', 'TASK', 'ATTEMPT', 'STATUS', 'USER']];
  for (const job of jobs) {
    const t = job.tags ?? {};
    rows.push([job.jobId as string, `${t['flowkit.flow']}/${t['flowkit.run']}/${t['flowkit.step']}/${t['flowkit.task']}`, t['flowkit.attempt'] ?? '', job.status ?? '', t['flowkit.user'] ?? '']);
  }
  return formatTable(rows);
}

async function withClient<T>(config: Config, use: (client: BatchClient) => Promise<T>): Promise<T> {
  const client = batchClient(config);
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

async function list(args: Record<string, unknown>): Promise<void> {
  const config = loadConfig();
  const jobs = await withClient(config, (client) => findJobs(client, { queue: queueOf(args, config), ...runSelectionOf(args, config) }));
  process.stdout.write(jobs.length === 0 ? 'No unfinished FlowKit jobs match.\n' : `${table(jobs)}\n`);
}

async function kill(args: Record<string, unknown>): Promise<void> {
  const config = loadConfig();
  const filter = { queue: queueOf(args, config), ...killSelectionOf(args, config, 'batch kill', 'jobs') };
  await withClient(config, async (client) => {
    const jobs = await findJobs(client, filter);
    const reason = `Killed with flowkit batch kill by ${resolveUser(config)}`;
    await Promise.all(jobs.map((job) => client.send(new (batchSdk().TerminateJobCommand)({ jobId: job.jobId, reason }))));
    process.stdout.write(jobs.length === 0 ? 'No unfinished FlowKit jobs match.\n' : `${table(jobs)}\nTerminated ${jobs.length} job${jobs.length === 1 ? '' : 's'}.\n`);
  });
}

function filterOptions(cli: CommandLine): CommandLine {
  return runSelectionOptions(cli.option('queue', { type: 'string', describe: `The job queue (default: ${BatchSettings.jobQueue})` }), 'jobs');
}

export const batchCli: CliExtension = {
  name: 'batch',
  register(cli) {
    cli.command(
      'batch',
      'AWS Batch jobs of FlowKit runs',
      (batch) =>
        batch
          .command('list', 'List unfinished jobs', filterOptions, list)
          .command('kill', 'Terminate unfinished jobs', filterOptions, kill)
          .demandCommand(1, 'Say what to do: flowkit batch list|kill'),
    );
  },
};
