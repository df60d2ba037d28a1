import { PluginError, resolveUser, type Config, type LaunchedTask, type LauncherRun, type TaskLaunch } from '@flowkit/core/plugin';
import { podResources, type KubernetesAttributes } from './attributes';
import { connect, describe, statusCode, withRetries, type Cluster } from './client';
import { KubeJob, type JobContext } from './kubeJob';
import { jobManifest, jobName, selector } from './manifest';
import { ResourceWatch, type KubeObject } from './runWatch';
import { KubernetesSettings } from './settings';

/** Past `@timeout`, the Job's own deadline: the scheduler stops it on time, this holds when the scheduler is gone. */
const DEADLINE_MARGIN_SECONDS = 60;

/** The run's watches in one namespace: its Jobs and its pods. */
interface NamespaceWatch {
  jobs: ResourceWatch;
  pods: ResourceWatch;
}

/**
 * The cluster and the Jobs of one run. Each namespace the run uses gets one watch of the run's Jobs and one of
 * its pods (a label selector on the run), whatever the number of tasks: a 500-way foreach opens two streams,
 * not 500 polls. Events reach the attempt their Job name belongs to.
 */
export class KubeSession {
  private readonly jobs = new Map<string, KubeJob>();
  private readonly watches = new Map<string, Promise<NamespaceWatch>>();
  private readonly context: JobContext;
  private readonly user: string;
  private readonly ttlSeconds: number;

  private constructor(
    private readonly cluster: Cluster,
    config: Config,
    private readonly run: LauncherRun,
  ) {
    this.context = {
      cluster,
      grace: {
        image: { ms: 1000 * seconds(config, KubernetesSettings.imagePullGraceSeconds, 120), setting: KubernetesSettings.imagePullGraceSeconds },
        unschedulable: { ms: 1000 * seconds(config, KubernetesSettings.unschedulableSeconds, 600), setting: KubernetesSettings.unschedulableSeconds },
      },
    };
    this.ttlSeconds = seconds(config, KubernetesSettings.jobTtlSeconds, 86400);
    this.user = resolveUser(config);
  }

  /** Connects to the cluster of the kubeconfig and checks it answers, before any Job is created. */
  static async open(config: Config, run: LauncherRun): Promise<KubeSession> {
    const cluster = connect();
    try {
      await withRetries(() => cluster.kc.makeApiClient(cluster.k8s.VersionApi).getCode());
    } catch (error) {
      throw new PluginError(`Cannot reach the Kubernetes API server at ${cluster.server}: ${describe(error)}`, { hint: 'check KUBECONFIG and its current context, and that the cluster is up' });
    }
    return new KubeSession(cluster, config, run);
  }

  async submit(task: TaskLaunch, attributes: KubernetesAttributes): Promise<LaunchedTask> {
    const namespace = attributes.namespace ?? this.cluster.namespace;
    await this.watch(namespace);
    const command = await task.remote();
    const name = jobName(task.ref, task.attempt);
    const body = jobManifest({
      name,
      namespace,
      ref: task.ref,
      attempt: task.attempt,
      user: this.user,
      command,
      attributes,
      resources: podResources(attributes, task.resources),
      ttlSecondsAfterFinished: this.ttlSeconds,
      activeDeadlineSeconds: task.timeoutSeconds === undefined ? undefined : task.timeoutSeconds + DEADLINE_MARGIN_SECONDS,
    });
    // Known before it is created: the watch may tell of the Job before the create answers.
    const job = new KubeJob(name, namespace, this.context);
    this.jobs.set(name, job);
    try {
      await withRetries(async () => {
        try {
          await this.cluster.batch.createNamespacedJob({ namespace, body });
        } catch (error) {
          // The name is this attempt's own: 409 means an earlier try of this create got through.
          if (statusCode(error) !== 409) throw error;
        }
      });
    } catch (error) {
      this.jobs.delete(name);
      throw new PluginError(`Kubernetes refused Job ${name} (namespace '${namespace}', image '${attributes.image}'): ${describe(error)}`);
    }
    void job.exited.then(() => this.jobs.delete(name));
    return job.launched;
  }

  /** Jobs still running are deleted (the scheduler asked already unless it failed itself), then the watches end. */
  async close(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => job.kill('SIGKILL')));
    for (const watch of this.watches.values()) {
      await watch.then(({ jobs, pods }) => [jobs, pods].forEach((w) => w.close()), () => undefined);
    }
  }

  /** The namespace's watches, opened by the run's first Job there; a failed opening is tried again by the next. */
  private watch(namespace: string): Promise<NamespaceWatch> {
    let opened = this.watches.get(namespace);
    if (!opened) {
      opened = this.openWatch(namespace);
      opened.catch(() => this.watches.delete(namespace));
      this.watches.set(namespace, opened);
    }
    return opened;
  }

  private async openWatch(namespace: string): Promise<NamespaceWatch> {
    const { batch, core } = this.cluster;
    const labelSelector = selector({ flow: this.run.flowName, runId: this.run.runId });
    const lost = (reason: string) => [...this.jobs.values()].filter((job) => job.namespace === namespace).forEach((job) => job.lost(reason));
    const jobs = new ResourceWatch(this.cluster, `/apis/batch/v1/namespaces/${namespace}/jobs`, labelSelector, () => batch.listNamespacedJob({ namespace, labelSelector }), {
      event: (type, object) => this.jobs.get(object.metadata?.name as string)?.jobEvent(type, object),
      lost,
    });
    const pods = new ResourceWatch(this.cluster, `/api/v1/namespaces/${namespace}/pods`, labelSelector, () => core.listNamespacedPod({ namespace, labelSelector }), {
      event: (type, object) => this.jobs.get(ownerJob(object) as string)?.podEvent(type, object),
      lost,
    });
    try {
      await Promise.all([jobs.start(), pods.start()]);
    } catch (error) {
      jobs.close();
      pods.close();
      throw new PluginError(`Cannot watch the run's Jobs and pods in Kubernetes namespace '${namespace}': ${describe(error)}`, {
        hint: 'the kubeconfig user needs to list and watch jobs and pods there',
      });
    }
    return { jobs, pods };
  }
}

/** The Job a pod belongs to: its controller. */
function ownerJob(pod: KubeObject): string | undefined {
  return pod.metadata?.ownerReferences?.find((owner) => owner.kind === 'Job' && owner.controller)?.name;
}

function seconds(config: Config, name: string, fallback: number): number {
  const value = Number(config.get(name) ?? fallback);
  if (!(value > 0)) throw new PluginError(`${name} must be a positive number of seconds.`, { hint: `e.g. ${name}=${fallback}` });
  return value;
}
