import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { tutorialsCommand } from './command';

export { listEpisodes, findEpisode, EPISODES_DIR } from './catalog';
export type { Episode } from './catalog';
export { pullTutorials } from './pull';
export type { FileAction, PullOptions, PullReport, PulledFile } from './pull';
export { TutorialError } from './errors';

/** Adds `flowkit tutorials pull|list|info` to the CLI. */
export const plugin: FlowKitPlugin = {
  name: 'tutorials',
  register(registry) {
    registry.addCliExtension(tutorialsCommand);
  },
};
