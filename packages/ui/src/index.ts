import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { uiCommand } from './cli';
import type { RunningUi, UiOptions } from './server';

export type { RunningUi, UiOptions } from './server';
export { UiSettings } from './settings';

/** Starts the UI server (as `flowkit ui` does); the server and the client load on the first call only. */
export function startUi(options: UiOptions): Promise<RunningUi> {
  const server = require('./server') as typeof import('./server');
  return server.startUi(options);
}

/** Adds `flowkit ui` to the CLI. */
export const plugin: FlowKitPlugin = {
  name: 'ui',
  register(registry) {
    registry.addCliExtension(uiCommand);
  },
};
