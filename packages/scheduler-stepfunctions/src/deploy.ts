import { JobDefinitions, batchClient, batchSecrets, jobDefinitionFor, jobResources, type BatchAttributes, type BatchSecret } from '@flowkit/compute-batch';
import { backendNames, openBackends } from '@flowkit/core/internal';
import { FlowDataStore, PluginError, registry, remoteEnv, resolveUser, type Config, type PreparedFlow } from '@flowkit/core/plugin';
import { bootstrapArgv, publishCodePackage, runSettings } from '@flowkit/runtime';
import { formatLiteral, type StateMachineDefinition } from './asl';
import { compile } from './compiler';
import { includeFiles } from './includedFiles';
import { BatchJobs, type Deployment } from './jobs';
import { refuseUnattended } from './refusals';

export interface DeployOptions {
  /** Compile only: publish, register and create nothing. */
  onlyJson: boolean;
  /** The datastore and metadata provider chosen on the command line, else by the settings. */
  backends: { datastore?: string; metadata?: string };
  maxWorkers?: number;
  maxNumSplits: number;
  workflowTimeoutSeconds?: number;
  tags: string[];
  /** Parameter values fixed at deploy time, by name (an IncludeFile's local file is stored and given by URL). */
  parameters: Record<string, string>;
}

/** Stands in for the code package's manifest in `--only-json` output, which publishes nothing. */
const UNPUBLISHED = { sha: '<sha256 of the code package manifest>', url: '<code package manifest URL, published by create>' };
const RUN = 'sfnrunplaceholder';
const TASK = 'sfntaskplaceholder';

/**
 * A prepared flow as a state machine definition: refuses what cannot run unattended, publishes the code package
 * and registers each step's job definition (unless only the JSON is wanted), then compiles the graph.
 */
export async function compileFlow(flow: PreparedFlow, config: Config, options: DeployOptions): Promise<StateMachineDefinition> {
  const names = backendNames(options.backends, config);
  refuseUnattended(flow.graph, names, flow.environment);
  const secrets = batchSecrets(config);
  const { storage } = openBackends(options.backends, config, flow.flowDir);
  const { bucket, prefix } = s3Location(storage.root);
  const store = new FlowDataStore(storage, flow.graph.flowName, registry.serializers());
  // The state machine outlives any presigned URL: its jobs read the package by location, with their role's credentials.
  const located = async (key: string) => `${storage.root.replace(/\/+$/, '')}/${key}`;
  const manifest = options.onlyJson ? UNPUBLISHED : (await publishCodePackage(flow.codePackage, store, storage, names.datastoreName, located)).manifest;
  const parameters = options.onlyJson ? options.parameters : await includeFiles(flow, options.parameters, config, options.backends, true);
  const [, , bootstrapSource, ...bootstrapArgs] = bootstrapArgv(manifest, []) as [string, string, string, ...string[]];
  const jobs = new Map(flow.graph.order.map((step) => [step, jobOf(flow, step, bootstrapSource, secrets)]));
  if (!options.onlyJson) await registerJobDefinitions(config, [...jobs.values()].map((job) => job.definition));
  const settings = remoteEnv(runSettings(config, { ...names, storage }));
  const deployment: Deployment = {
    flowName: flow.graph.flowName,
    user: resolveUser(config),
    bootstrapArgs,
    env: (step) => ({ ...settings, ...flow.launchPlan(step).env }),
    datastore: { name: names.datastoreName, root: storage.root },
    metadata: names.metadataName,
    maxNumSplits: options.maxNumSplits,
    tags: options.tags,
    job: (step) => {
      const job = jobs.get(step) as { queue: string; definition: { jobDefinitionName?: string } };
      return { queue: job.queue, definition: job.definition.jobDefinitionName as string };
    },
    plan: (step) => flow.launchPlan(step),
    splitCountKey: (step) => {
      const key = [prefix, store.splitCountKey({ flowName: flow.graph.flowName, runId: RUN, stepName: step, taskId: TASK })].filter(Boolean).join('/');
      return { bucket, keyFormat: formatLiteral(key).replace(RUN, '{}').replace(TASK, '{}') };
    },
  };
  return compile({
    graph: flow.graph,
    plan: (step) => flow.launchPlan(step),
    jobs: new BatchJobs(deployment),
    parameters,
    maxWorkers: options.maxWorkers,
    workflowTimeoutSeconds: options.workflowTimeoutSeconds,
  });
}

/** A step's job queue and job definition, from its `@batch` attributes (every step is given one). */
function jobOf(flow: PreparedFlow, step: string, bootstrapSource: string, secrets: BatchSecret[]) {
  const plan = flow.launchPlan(step);
  if (plan.compute?.decorator.name !== 'batch') throw new PluginError(`Step '${step}' has no AWS Batch job.`, { hint: 'deploy with the @flowkit/compute-batch plugin installed' });
  const attributes = plan.compute.attributes as unknown as BatchAttributes;
  return { queue: attributes.queue, definition: jobDefinitionFor(attributes, jobResources(attributes, plan.resources), bootstrapSource, secrets) };
}

async function registerJobDefinitions(config: Config, definitions: Array<ReturnType<typeof jobDefinitionFor>>): Promise<void> {
  const client = batchClient(config);
  try {
    const registered = new JobDefinitions(client);
    await Promise.all(definitions.map((definition) => registered.arn(definition)));
  } finally {
    client.destroy();
  }
}

function s3Location(root: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*?)\/?$/.exec(root);
  if (!match) throw new PluginError(`The S3 datastore root '${root}' is not an s3://bucket/prefix URL.`, { hint: 'set FLOWKIT_DATASTORE_SYSROOT_S3=s3://bucket/prefix' });
  return { bucket: match[1] as string, prefix: match[2] as string };
}
