import { join } from 'node:path';
import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { metadataServiceCli } from './cli';
import { plugin as taskPlugin } from './taskPlugin';

export { ServiceMetadataProvider, DEFAULT_RETRY } from './provider';
export type { RetryPolicy, ServiceProviderOptions } from './provider';
export { ServiceSettings } from './settings';
export { API_PREFIX, MAX_PAGE_SIZE } from './wire';
export type { ErrorBody, Page, ServiceTask } from './wire';

/** `--metadata service` (FLOWKIT_SERVICE_URL) and `flowkit metadata-service start`. */
export const plugin: FlowKitPlugin = {
  name: taskPlugin.name,
  taskModule: join(__dirname, 'taskPlugin.js'),
  register(registry) {
    taskPlugin.register(registry);
    registry.addCliExtension(metadataServiceCli);
  },
};
