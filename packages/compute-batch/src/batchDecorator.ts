import {
  PluginError,
  loadConfig,
  registry,
  resolveUser,
  type ComputeDecorator,
  type Config,
  type LaunchPlan,
  type LaunchedTask,
  type LauncherRun,
  type TaskLaunch,
  type TaskRef,
} from '@flowkit/core/plugin';
import { jobResources, type BatchAttributes } from './attributes';
import { BatchJob, type JobClients } from './batchJob';
import { batchClient, logsClient } from './clients';
import { BOOTSTRAP_COMMAND, JobDefinitions, attemptDurationSeconds, jobDefinitionFor } from './jobDefinitions';
import { JobWatcher } from './jobWatcher';
import { batchSdk } from './sdk';
import { BatchSettings, batchSecrets, type BatchSecret } from './settings';
import { batchChecks } from './taskPlugin';

/** `@batch` and `--with batch`: the step's attempts run as AWS Batch jobs. */
export class BatchDecorator implements ComputeDecorator {
  readonly name = batchChecks.name;
  readonly validate = batchChecks.validate;
  private session?: BatchSession;

  onLaunch(attributes: Record<string, unknown>, plan: LaunchPlan): void {
    plan.compute = { decorator: this, attributes };
  }

  async runStarted(run: LauncherRun): Promise<void> {
    if (registry.dataStore(run.datastore.name).embedded) {
      throw new PluginError(`AWS Batch jobs cannot reach the '${run.datastore.name}' datastore, which is on this machine.`, {
        hint: 'run with --datastore s3 (and FLOWKIT_DATASTORE_SYSROOT_S3=s3://bucket/prefix)',
      });
    }
    this.session = new BatchSession(loadConfig(), run);
  }

  launch(task: TaskLaunch, attributes: Record<string, unknown>): Promise<LaunchedTask> {
    if (!this.session) throw new PluginError('@batch launched a task outside a run.');
    return this.session.submit(task, attributes as unknown as BatchAttributes);
  }

  async runFinished(): Promise<void> {
    await this.session?.close();
    this.session = undefined;
  }
}

/** The clients and jobs of one run. */
class BatchSession {
  private readonly clients: JobClients;
  private readonly definitions: JobDefinitions;
  private readonly jobs = new Set<BatchJob>();
  private readonly user: string;
  private readonly secrets: BatchSecret[];

  constructor(config: Config, private readonly run: LauncherRun) {
    this.secrets = batchSecrets(config);
    const intervalMs = 1000 * Number(config.get(BatchSettings.pollSeconds) ?? 2);
    if (!(intervalMs > 0)) throw new PluginError(`${BatchSettings.pollSeconds} must be a positive number of seconds.`, { hint: `e.g. ${BatchSettings.pollSeconds}=2` });
    const batch = batchClient(config);
    this.clients = {
      batch,
      logs: logsClient(config),
      logGroup: config.get(BatchSettings.logGroup) ?? '/aws/batch/job',
      watcher: new JobWatcher(batch, intervalMs),
      intervalMs,
    };
    this.definitions = new JobDefinitions(batch);
    this.user = resolveUser(config);
  }

  async submit(task: TaskLaunch, attributes: BatchAttributes): Promise<LaunchedTask> {
    const command = await task.remote();
    const definition = jobDefinitionFor(attributes, jobResources(attributes, task.resources), command.bootstrap.source, this.secrets);
    let jobId: string;
    try {
      const jobDefinition = await this.definitions.arn(definition);
      const submitted = await this.clients.batch.send(
        new (batchSdk().SubmitJobCommand)({
          jobName: jobName(task.ref, task.attempt),
          jobQueue: attributes.queue,
          jobDefinition,
          containerOverrides: {
            // The bootstrap's source rides in the job definition: the command holds only its arguments.
            command: [...BOOTSTRAP_COMMAND, ...command.bootstrap.args],
            environment: Object.entries(command.env).map(([name, value]) => ({ name, value })),
          },
          timeout: task.timeoutSeconds === undefined ? undefined : { attemptDurationSeconds: attemptDurationSeconds(task.timeoutSeconds) },
          tags: this.tags(task),
          propagateTags: true,
        }),
      );
      jobId = submitted.jobId as string;
    } catch (error) {
      throw new PluginError(`AWS Batch refused the job (queue '${attributes.queue}', image '${attributes.image}'): ${(error as Error).message}`);
    }
    const job = new BatchJob(jobId, this.clients);
    this.jobs.add(job);
    void job.exited.then(() => this.jobs.delete(job));
    return job.launched;
  }

  /** Jobs still running are terminated (the scheduler asked already unless it failed itself), then clients close. */
  async close(): Promise<void> {
    await Promise.all([...this.jobs].map((job) => job.kill('SIGKILL')));
    this.clients.watcher.close();
    this.clients.batch.destroy();
    this.clients.logs.destroy();
  }

  private tags(task: TaskLaunch): Record<string, string> {
    return {
      'flowkit.flow': this.run.flowName,
      'flowkit.run': this.run.runId,
      'flowkit.step': task.ref.stepName,
      'flowkit.task': task.ref.taskId,
      'flowkit.attempt': String(task.attempt),
      'flowkit.user': this.user,
    };
  }
}

/** `Flow-run-step-task-attempt`, within Batch's job name rules (128 letters, digits, - and _). */
export function jobName(ref: TaskRef, attempt: number): string {
  return `${ref.flowName}-${ref.runId}-${ref.stepName}-${ref.taskId}-${attempt}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128);
}
