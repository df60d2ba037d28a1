import { join } from 'node:path';
import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { environmentCli } from './cli';
import { packagesEnvironment } from './manager';
import { packagesBaseChecks, packagesChecks, plugin as taskPlugin } from './taskPlugin';

export { packages, packagesBase, type PackageVersions } from './taskPlugin';
export { PackagesSettings } from './settings';

/** `--environment packages` with `@packages` and `@packagesBase`, and `flowkit environment list|prune`; tasks load only the decorators (taskPlugin). */
export const plugin: FlowKitPlugin = {
  name: taskPlugin.name,
  taskModule: join(__dirname, 'taskPlugin.js'),
  register(registry) {
    registry.addEnvironmentManager(packagesEnvironment).addStepDecorator(packagesChecks).addFlowDecorator(packagesBaseChecks).addCliExtension(environmentCli);
  },
};
