import { join } from 'node:path';
import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { kubernetesCli } from './cli';
import { KubernetesDecorator } from './kubeDecorator';
import { plugin as taskPlugin } from './taskPlugin';

export { kubernetes } from './taskPlugin';
export { KubernetesSettings } from './settings';
export type { KubernetesAttributes, Toleration } from './attributes';

/** `@kubernetes`, `--with kubernetes` and `flowkit kubernetes list|kill`; tasks load only the decorator's checks (taskPlugin). */
export const plugin: FlowKitPlugin = {
  name: taskPlugin.name,
  taskModule: join(__dirname, 'taskPlugin.js'),
  register(registry) {
    registry.addStepDecorator(new KubernetesDecorator());
    registry.addCliExtension(kubernetesCli);
  },
};
