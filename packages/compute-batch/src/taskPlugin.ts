import { loadConfig, makeStepDecorator, type FlowKitPlugin, type StepDecorator } from '@flowkit/core/plugin';
import { validateBatchAttributes, type BatchAttributes } from './attributes';

/*
 * What a task of a run with `@batch` steps loads in place of the package: the decorator and its checks,
 * without the AWS SDK clients (a flow's `import { batch } from '@flowkit/compute-batch'` resolves here).
 */

/**
 * `@batch({ cpu, memory, gpu, image, queue, iamRole, executionRole, sharedMemory, maxSwap, swappiness, tmpfs,
 * efsVolumes, hostVolumes })`: run the step's attempts as AWS Batch jobs (memory in MiB).
 */
export const batch = makeStepDecorator<Partial<BatchAttributes>>('batch');

/** `@batch`'s attribute checks, the part of the decorator a task needs; BatchDecorator adds the launching. */
export const batchChecks = {
  name: 'batch',
  validate: (attributes: Record<string, unknown>): Record<string, unknown> => ({ ...validateBatchAttributes(attributes, loadConfig()) }),
} satisfies StepDecorator;

export const plugin: FlowKitPlugin = {
  name: '@flowkit/compute-batch',
  register(registry) {
    registry.addStepDecorator(batchChecks);
  },
};
