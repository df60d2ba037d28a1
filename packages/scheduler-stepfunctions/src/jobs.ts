import { BOOTSTRAP_COMMAND, attemptDurationSeconds } from '@flowkit/compute-batch';
import type { LaunchPlan } from '@flowkit/core/plugin';
import { TASK_TIMEOUT_VAR } from '@flowkit/runtime';
import { formatLiteral, type Json } from './asl';
import { TIMEOUT_BACKSTOP_SECONDS, type JobParameters } from './compiler';

/** Where a deployed flow's tasks run and store: fixed at deploy time, the same for every run. */
export interface Deployment {
  flowName: string;
  user: string;
  /** The bootstrap's arguments before the task's own: code package URL, sha256, source map URL. */
  bootstrapArgs: string[];
  /** A step's environment: the run's settings (FLOWKIT_*) and its own variables, never the host's others. */
  env(stepName: string): Record<string, string>;
  datastore: { name: string; root: string };
  metadata: string;
  maxNumSplits: number;
  tags: string[];
  /** A step's job queue and (registered) job definition name; `init` and `failed` run like `start`. */
  job(stepName: string): { queue: string; definition: string };
  plan(stepName: string): LaunchPlan;
  /** Bucket and key of a foreach task's split count, the run and task ids left as `{}` (States.Format). */
  splitCountKey(stepName: string): { bucket: string; keyFormat: string };
}

const RETRY_COUNT = "States.Format('{}', $$.State.RetryCount)";

/**
 * The submitJob parameters of each job. What changes per run or task (run id, foreach indices, attempt) reaches
 * the command as Batch `Ref::` parameters, filled from the state's payload: no shell, no string building.
 */
export class BatchJobs implements JobParameters {
  constructor(private readonly deployment: Deployment) {}

  step(stepName: string, attempt: 'retry' | number): Record<string, Json> {
    const d = this.deployment;
    const args = [
      'step', stepName,
      '--run-id', 'Ref::runId',
      // Outside any foreach the payload's indices are '' (a literal empty argument is not valid ASL).
      '--foreach-indices', 'Ref::indices',
      '--attempt', attempt === 'retry' ? 'Ref::attempt' : String(attempt),
      '--user-attempts', String(d.plan(stepName).userAttempts),
      '--max-num-splits', String(d.maxNumSplits),
      ...this.backends(),
    ];
    const parameters: Record<string, Json> = { 'runId.$': '$.runId', 'indices.$': '$.indices', ...(attempt === 'retry' ? { 'attempt.$': RETRY_COUNT } : {}) };
    const attemptTag: Record<string, Json> = attempt === 'retry' ? { 'flowkit.attempt.$': RETRY_COUNT } : { 'flowkit.attempt': String(attempt) };
    // The fallback attempt runs no user code: the step's timeout is not its to keep.
    const timeout = attempt === 'retry' ? d.plan(stepName).timeoutSeconds : undefined;
    if (timeout === undefined) return this.submit(stepName, stepName, args, parameters, attemptTag);
    return {
      ...this.submit(stepName, stepName, args, parameters, attemptTag, { [TASK_TIMEOUT_VAR]: String(timeout) }),
      Timeout: { AttemptDurationSeconds: attemptDurationSeconds(Math.ceil(timeout) + TIMEOUT_BACKSTOP_SECONDS) },
    };
  }

  init(): Json {
    const args = ['init', '--run-id', 'Ref::runId', '--parameters', 'Ref::parameters', '--tags', JSON.stringify(this.deployment.tags), '--runtime', 'step-functions', ...this.backends()];
    return this.submit('start', 'init', args, { 'runId.$': '$.runId', 'parameters.$': '$.parameters' }, { 'flowkit.attempt': '0' });
  }

  failed(): Json {
    return this.submit('start', 'failed', ['failed', '--run-id', 'Ref::runId', ...this.backends()], { 'runId.$': '$.runId' }, { 'flowkit.attempt': '0' });
  }

  splitCount(stepName: string): Json {
    const { bucket, keyFormat } = this.deployment.splitCountKey(stepName);
    return { Bucket: bucket, 'Key.$': `States.Format('${keyFormat}', $.runId, $.taskId)` };
  }

  private backends(): string[] {
    const d = this.deployment;
    return ['--datastore', d.datastore.name, '--datastore-root', d.datastore.root, '--metadata', d.metadata];
  }

  private submit(jobOf: string, label: string, args: string[], parameters: Record<string, Json>, attemptTag: Record<string, Json>, env: Record<string, string> = {}): Record<string, Json> {
    const d = this.deployment;
    const { queue, definition } = d.job(jobOf);
    return {
      'JobName.$': `States.Format('${formatLiteral(`${d.flowName}-`)}{}-${formatLiteral(label)}-{}', $.runId, $.taskId)`,
      JobQueue: queue,
      JobDefinition: definition,
      ContainerOverrides: {
        // The bootstrap's source rides in the job definition, as for a run's Batch jobs.
        Command: [...BOOTSTRAP_COMMAND, ...d.bootstrapArgs, ...args],
        Environment: Object.entries({ ...d.env(jobOf), ...env }).map(([Name, Value]) => ({ Name, Value })),
      },
      Parameters: parameters,
      Tags: {
        'flowkit.flow': d.flowName,
        'flowkit.run.$': '$.runId',
        'flowkit.step': label,
        'flowkit.task.$': '$.taskId',
        ...attemptTag,
        'flowkit.user': d.user,
      },
      PropagateTags: true,
    };
  }
}
