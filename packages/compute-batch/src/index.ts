import { join } from 'node:path';
import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { BatchDecorator } from './batchDecorator';
import { batchCli } from './cli';
import { plugin as taskPlugin } from './taskPlugin';

export { batch } from './taskPlugin';
export { BatchSettings, batchSecrets } from './settings';
export type { BatchSecret } from './settings';
export type { BatchAttributes } from './attributes';

/** `@batch`, `--with batch` and `flowkit batch list|kill`; tasks load only the decorator's checks (taskPlugin). */
export const plugin: FlowKitPlugin = {
  name: taskPlugin.name,
  taskModule: join(__dirname, 'taskPlugin.js'),
  register(registry) {
    registry.addStepDecorator(new BatchDecorator());
    registry.addCliExtension(batchCli);
  },
};

/* For schedulers that compile a flow to Batch jobs (Step Functions): the same job definitions, clients and names as a run's. */
export { BOOTSTRAP_COMMAND, JobDefinitions, attemptDurationSeconds, jobDefinitionFor } from './jobDefinitions';
export { jobResources } from './attributes';
export { batchClient } from './clients';
