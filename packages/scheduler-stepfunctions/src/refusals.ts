import { PluginError, registry, type FlowGraph } from '@flowkit/core/plugin';

/**
 * What cannot run unattended under Step Functions, refused before anything is deployed: a datastore or
 * metadata provider on this machine, per-step environments (`--environment`), a datastore the state machine cannot read split counts from (S3 only),
 * and steps that ask for compute other than AWS Batch.
 */
export function refuseUnattended(graph: FlowGraph, backends: { datastoreName: string; metadataName: string }, environment: string | undefined): void {
  const deploy = 'flowkit step-functions create';
  if (environment !== undefined) {
    throw new PluginError(`Step Functions cannot give the steps of ${graph.flowName} their --environment ${environment} yet: only runs started with \`flowkit run\` can.`, {
      hint: `${deploy} without --environment (and without FLOWKIT_DEFAULT_ENVIRONMENT)`,
    });
  }
  if (registry.dataStore(backends.datastoreName).embedded) {
    throw new PluginError(`Step Functions cannot run ${graph.flowName} on the '${backends.datastoreName}' datastore, which is on this machine.`, {
      hint: `${deploy} with --datastore s3 (and FLOWKIT_DATASTORE_SYSROOT_S3=s3://bucket/prefix)`,
    });
  }
  if (backends.datastoreName !== 's3') {
    throw new PluginError(`Step Functions reads foreach split counts from S3, so it cannot run ${graph.flowName} on the '${backends.datastoreName}' datastore.`, { hint: `${deploy} with --datastore s3` });
  }
  if (registry.metadataProvider(backends.metadataName).hostBound) {
    throw new PluginError(`Step Functions cannot run ${graph.flowName} with the '${backends.metadataName}' metadata provider, which keeps its records on this machine.`, {
      hint: `${deploy} with --metadata service`,
    });
  }
  for (const step of Object.values(graph.steps)) {
    const other = step.decorators.find((d) => registry.hasStepDecorator(d.name) && 'launch' in registry.stepDecorator(d.name) && d.name !== 'batch');
    if (other) {
      throw new PluginError(`Step '${step.name}' of ${graph.flowName} runs with @${other.name}, but under Step Functions every step runs on AWS Batch.`, {
        hint: `remove @${other.name} from '${step.name}' (use @batch for its resources)`,
      });
    }
  }
}
