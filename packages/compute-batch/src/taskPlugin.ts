import { loadConfig, makeStepDecorator, type FlowKitPlugin } from '@flowkit/core/plugin';
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

export const plugin: FlowKitPlugin = {
  name: '@flowkit/compute-batch',
  register(registry) {
    registry.addStepDecorator({ name: 'batch', validate: (attributes) => ({ ...validateBatchAttributes(attributes, loadConfig()) }) });
  },
};
