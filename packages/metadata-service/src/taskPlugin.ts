import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { providerFromConfig } from './provider';

/** What a task of a `--metadata service` run loads: the provider alone, without the server and its PostgreSQL driver. */
export const plugin: FlowKitPlugin = {
  name: '@flowkit/metadata-service',
  register(registry) {
    registry.addMetadataProvider({ name: 'service', create: (config) => providerFromConfig(config) });
  },
};
