import type { FlowKitPlugin } from '@flowkit/core';
import { metadataServiceCli } from './cli';
import { providerFromConfig } from './provider';

export { ServiceMetadataProvider, DEFAULT_RETRY } from './provider';
export type { RetryPolicy, ServiceProviderOptions } from './provider';
export { API_PREFIX, MAX_PAGE_SIZE } from './wire';
export type { ErrorBody, Page, ServiceTask } from './wire';

/** `--metadata service` (FLOWKIT_SERVICE_URL) and `flowkit metadata-service start`. */
export const plugin: FlowKitPlugin = {
  name: '@flowkit/metadata-service',
  register(registry) {
    registry.addMetadataProvider({ name: 'service', create: (config) => providerFromConfig(config) });
    registry.addCliExtension(metadataServiceCli);
  },
};
