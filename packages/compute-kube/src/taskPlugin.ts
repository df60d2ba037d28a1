import { loadConfig, makeStepDecorator, type FlowKitPlugin, type StepDecorator } from '@flowkit/core/plugin';
import { validateKubernetesAttributes, type KubernetesAttributes } from './attributes';

/*
 * What a task of a run with `@kubernetes` steps loads in place of the package: the decorator and its checks,
 * without the Kubernetes client (a flow's `import { kubernetes } from '@flowkit/compute-kube'` resolves here).
 */

/**
 * `@kubernetes({ cpu, memory, disk, gpu, gpuVendor, image, namespace, serviceAccount, secrets, nodeSelector,
 * tolerations, labels, annotations, persistentVolumeClaims })`: run the step's attempts as Kubernetes Jobs
 * (memory and disk in MiB).
 */
export const kubernetes = makeStepDecorator<Partial<KubernetesAttributes>>('kubernetes');

/** `@kubernetes`' attribute checks, the part of the decorator a task needs; KubernetesDecorator adds the launching. */
export const kubernetesChecks = {
  name: 'kubernetes',
  validate: (attributes: Record<string, unknown>): Record<string, unknown> => ({ ...validateKubernetesAttributes(attributes, loadConfig()) }),
} satisfies StepDecorator;

export const plugin: FlowKitPlugin = {
  name: '@flowkit/compute-kube',
  register(registry) {
    registry.addStepDecorator(kubernetesChecks);
  },
};
