import { PluginError, loadConfig, registry, requireSecretReferences, type ComputeDecorator, type LaunchPlan, type LaunchedTask, type LauncherRun, type TaskLaunch } from '@flowkit/core/plugin';
import type { KubernetesAttributes } from './attributes';
import { KubeSession } from './kubeSession';
import { KubernetesSettings } from './settings';
import { kubernetesChecks } from './taskPlugin';

/** `@kubernetes` and `--with kubernetes`: the step's attempts run as Kubernetes Jobs. */
export class KubernetesDecorator implements ComputeDecorator {
  readonly name = kubernetesChecks.name;
  readonly validate = kubernetesChecks.validate;
  private session?: KubeSession;

  onLaunch(attributes: Record<string, unknown>, plan: LaunchPlan): void {
    // Read at launch: a @timeout after this decorator sets the plan's timeout later (the Job's deadline follows it).
    plan.compute = {
      decorator: this,
      attributes: {
        ...attributes,
        get timeoutSeconds() {
          return plan.timeoutSeconds;
        },
      },
    };
  }

  async runStarted(run: LauncherRun): Promise<void> {
    if (registry.dataStore(run.datastore.name).embedded) {
      throw new PluginError(`Kubernetes pods cannot reach the '${run.datastore.name}' datastore, which is on this machine.`, {
        hint: 'run with --datastore s3 (and FLOWKIT_DATASTORE_SYSROOT_S3=s3://bucket/prefix)',
      });
    }
    const config = loadConfig();
    // Pods get a secret setting only from a Secret they load (envFrom), under the setting's name.
    requireSecretReferences(config, () => config.get(KubernetesSettings.secrets) !== undefined, (name) => `store it in a Kubernetes Secret under the key ${name} and name that Secret in ${KubernetesSettings.secrets}`);
    this.session = await KubeSession.open(config, run);
  }

  launch(task: TaskLaunch, attributes: Record<string, unknown>): Promise<LaunchedTask> {
    if (!this.session) throw new PluginError('@kubernetes launched a task outside a run.');
    return this.session.submit(task, attributes as unknown as KubernetesAttributes & { timeoutSeconds?: number });
  }

  async runFinished(): Promise<void> {
    await this.session?.close();
    this.session = undefined;
  }
}
