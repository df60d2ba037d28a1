import {
  PluginError,
  loadConfig,
  registry,
  requireSecretReferences,
  type ComputeDecorator,
  type GraphStep,
  type LaunchPlan,
  type LaunchedTask,
  type LauncherRun,
  type TaskLaunch,
} from '@flowkit/core/plugin';
import { validateKubernetesAttributes, type KubernetesAttributes } from './attributes';
import { KubeSession } from './kubeSession';
import { KubernetesSettings } from './settings';
import { kubernetesChecks } from './taskPlugin';

/** `@kubernetes` and `--with kubernetes`: the step's attempts run as Kubernetes Jobs. */
export class KubernetesDecorator implements ComputeDecorator {
  readonly name = kubernetesChecks.name;
  private session?: KubeSession;

  /**
   * kubernetesChecks' checks, and, before any Job of the run: a secret setting set here reaches a pod only from a
   * Secret it loads (envFrom) under the setting's name, so each step must name one, itself or through the setting.
   */
  validate(attributes: Record<string, unknown>, step: GraphStep): Record<string, unknown> {
    const config = loadConfig();
    const checked = validateKubernetesAttributes(attributes, config);
    requireSecretReferences(
      config,
      () => checked.secrets.length > 0,
      (name) => `store it in a Kubernetes Secret under the key ${name}, and name that Secret in @kubernetes({ secrets: [...] }) on step '${step.name}' or in ${KubernetesSettings.secrets}`,
      `the pods of step '${step.name}'`,
    );
    return { ...checked };
  }

  onLaunch(attributes: Record<string, unknown>, plan: LaunchPlan): void {
    plan.compute = { decorator: this, attributes };
  }

  async runStarted(run: LauncherRun): Promise<void> {
    if (registry.dataStore(run.datastore.name).embedded) {
      throw new PluginError(`Kubernetes pods cannot reach the '${run.datastore.name}' datastore, which is on this machine.`, {
        hint: 'run with --datastore s3 (and FLOWKIT_DATASTORE_SYSROOT_S3=s3://bucket/prefix)',
      });
    }
    this.session = await KubeSession.open(loadConfig(), run);
  }

  launch(task: TaskLaunch, attributes: Record<string, unknown>): Promise<LaunchedTask> {
    if (!this.session) throw new PluginError('@kubernetes launched a task outside a run.');
    return this.session.submit(task, attributes as unknown as KubernetesAttributes);
  }

  async runFinished(): Promise<void> {
    await this.session?.close();
    this.session = undefined;
  }
}
