import { PluginError, formatTable, killSelectionOf, loadConfig, runSelectionOf, runSelectionOptions, type CliExtension, type CommandLine, type Config, type RunSelection } from '@flowkit/core/plugin';
import type { V1Job } from '@kubernetes/client-node';
import { connect, describe, withRetries, type Cluster } from './client';
import { ANNOTATIONS, LABELS, selector } from './manifest';
import { KubernetesSettings } from './settings';

interface Filter extends RunSelection {
  namespace: string;
}

/** FlowKit's unfinished Jobs in the namespace that match the filter, found by label selector. */
async function findJobs(cluster: Cluster, filter: Filter): Promise<V1Job[]> {
  try {
    const { items } = await withRetries(() => cluster.batch.listNamespacedJob({ namespace: filter.namespace, labelSelector: selector(filter) }));
    const ended = (job: V1Job) => (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    return items.filter((job) => !ended(job) && !job.metadata?.deletionTimestamp);
  } catch (error) {
    throw new PluginError(`Cannot list Jobs in Kubernetes namespace '${filter.namespace}': ${describe(error)}`);
  }
}

function table(jobs: V1Job[]): string {
  const rows = [['JOB', 'TASK', 'ATTEMPT', 'STATUS', 'USER']];
  for (const { metadata = {}, status = {} } of jobs) {
    const state = (status.ready ?? 0) > 0 ? 'Running' : 'Pending';
    rows.push([metadata.name ?? '', metadata.annotations?.[ANNOTATIONS.pathspec] ?? '', metadata.labels?.[LABELS.attempt] ?? '', state, metadata.annotations?.[ANNOTATIONS.user] ?? '']);
  }
  return formatTable(rows);
}

function namespaceOf(args: Record<string, unknown>, config: Config, cluster: Cluster): string {
  return (args.namespace as string | undefined) ?? config.get(KubernetesSettings.namespace) ?? cluster.namespace;
}

async function list(args: Record<string, unknown>): Promise<void> {
  const config = loadConfig();
  const cluster = connect();
  const jobs = await findJobs(cluster, { namespace: namespaceOf(args, config, cluster), ...runSelectionOf(args, config) });
  process.stdout.write(jobs.length === 0 ? 'No unfinished FlowKit Jobs match.\n' : `${table(jobs)}\n`);
}

async function kill(args: Record<string, unknown>): Promise<void> {
  const config = loadConfig();
  const cluster = connect();
  const filter = { namespace: namespaceOf(args, config, cluster), ...killSelectionOf(args, config, 'kubernetes kill', 'Jobs') };
  const jobs = await findJobs(cluster, filter);
  // Background: the pods go with their Job (without a policy batch/v1 would leave them running).
  const remove = (job: V1Job) => withRetries(() => cluster.batch.deleteNamespacedJob({ name: job.metadata?.name as string, namespace: filter.namespace, propagationPolicy: 'Background' }));
  const failed = (await Promise.allSettled(jobs.map(remove))).flatMap((result) => (result.status === 'rejected' ? [describe(result.reason)] : []));
  if (failed.length > 0) throw new PluginError(`Kubernetes refused to delete ${failed.length} of ${jobs.length} Jobs: ${failed[0]}`);
  process.stdout.write(jobs.length === 0 ? 'No unfinished FlowKit Jobs match.\n' : `${table(jobs)}\nDeleted ${jobs.length} Job${jobs.length === 1 ? '' : 's'}.\n`);
}

function filterOptions(cli: CommandLine): CommandLine {
  return runSelectionOptions(cli.option('namespace', { type: 'string', describe: `The namespace (default: ${KubernetesSettings.namespace}, else the kubeconfig context's)` }), 'Jobs');
}

export const kubernetesCli: CliExtension = {
  name: 'kubernetes',
  register(cli) {
    cli.command('kubernetes', 'Kubernetes Jobs of FlowKit runs', (kubernetes) =>
      kubernetes
        .command('list', 'List unfinished Jobs', filterOptions, list)
        .command('kill', 'Delete unfinished Jobs and their pods', filterOptions, kill)
        .demandCommand(1, 'Say what to do: flowkit kubernetes list|kill'),
    );
  },
};
