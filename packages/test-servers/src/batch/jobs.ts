import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { JobHost, JobSpec, JobStatus } from './batchModel';
import { ContainerProcess, type ContainerExit } from './containerProcess';
import { batchVariables, overridesLength, processEnvironment } from './containerEnv';
import { ACCOUNT, type Json } from './wire';

/** Where Batch's default awslogs configuration sends every job's output. */
export const LOG_GROUP = '/aws/batch/job';

/** The statusReason AWS gives a job whose container exited by itself, successfully or not. */
export const CONTAINER_EXITED = 'Essential container in task exited';
export const TIMEOUT_REASON = 'Job attempt duration exceeded timeout';
/** ECS refuses to start a task whose overrides (command, environment, ...) exceed this many characters. */
export const MAX_OVERRIDES_LENGTH = 8192;

/** Why the server stopped an attempt; the first cause wins, a later one can only kill harder. */
interface StopCause {
  statusReason: string;
  retry: boolean;
  /** The host vanished: the container reports no exit code at all. */
  hostLost?: boolean;
  /** What `container.reason` says (an out-of-memory kill, an image that cannot be pulled). */
  containerReason?: string;
}

const OUT_OF_MEMORY = 'OutOfMemoryError: Container killed due to memory usage';

/** The attempt in progress: an ECS task placed on an instance, with or without a process yet. */
interface Attempt {
  number: number;
  taskArn: string;
  containerInstanceArn: string;
  instanceId: string;
  logStreamName: string;
  startedAt?: number;
  process?: ContainerProcess;
  cause?: StopCause;
  deadline?: NodeJS.Timeout;
}

interface ContainerOutcome {
  exitCode?: number;
  reason?: string;
  logStreamName?: string;
  taskArn?: string;
  containerInstanceArn?: string;
}

/**
 * One submitted job and its state machine: SUBMITTED → PENDING → RUNNABLE → STARTING → RUNNING →
 * SUCCEEDED | FAILED, one state per `stateDelayMs`, back to RUNNABLE for each retry.
 */
export class BatchJob {
  readonly jobId = randomUUID();
  readonly jobArn: string;
  readonly createdAt = Date.now();
  readonly statusHistory: JobStatus[] = ['SUBMITTED'];
  status: JobStatus = 'SUBMITTED';
  statusReason: string | undefined;
  startedAt: number | undefined;
  stoppedAt: number | undefined;
  isCancelled = false;
  isTerminated = false;
  /** The exact environment the latest attempt's process got. */
  processEnv: Record<string, string> | undefined;
  readonly attempts: Json[] = [];
  private current: Attempt | undefined;
  private outcome: ContainerOutcome = {};
  private timer: NodeJS.Timeout | undefined;
  /** Set when the server stops: a killed attempt must not schedule a retry into a closed server. */
  private disposed = false;

  constructor(
    readonly spec: JobSpec,
    private readonly host: JobHost,
  ) {
    this.jobArn = `arn:aws:batch:${host.region}:${ACCOUNT}:job/${this.jobId}`;
    this.after(() => {
      this.setStatus('PENDING');
      this.after(() => this.queue());
    });
  }

  get done(): boolean {
    return this.status === 'SUCCEEDED' || this.status === 'FAILED';
  }

  /** TerminateJob: a job with a container is stopped like `docker stop`; one without is failed at once. */
  terminate(reason: string): void {
    if (this.done) return;
    this.isTerminated = true;
    if (this.current?.process !== undefined) this.stopAttempt({ statusReason: reason, retry: false }, true);
    else this.end('FAILED', reason);
  }

  /** CancelJob: only jobs that have not reached STARTING are cancelled; AWS still answers success. */
  cancel(reason: string): void {
    if (this.status !== 'SUBMITTED' && this.status !== 'PENDING' && this.status !== 'RUNNABLE') return;
    this.isCancelled = true;
    this.end('FAILED', reason);
  }

  /** A spot reclaim: the instance disappears, the container is killed outright, the job may retry. */
  reclaimHost(): void {
    const attempt = this.current;
    if (attempt?.process === undefined) {
      throw new Error(`job ${this.jobId} is ${this.status} and has no container: only a started job has a host to reclaim`);
    }
    this.stopAttempt({ statusReason: `Host EC2 (instance ${attempt.instanceId}) terminated.`, retry: true, hostLost: true }, false);
  }

  /** The kernel's OOM killer: the container dies with 137 and says why; the job may retry. */
  outOfMemory(): void {
    if (this.current?.process === undefined) throw new Error(`job ${this.jobId} is ${this.status} and has no container to kill`);
    this.stopAttempt({ statusReason: OUT_OF_MEMORY, retry: true, containerReason: OUT_OF_MEMORY }, false);
  }

  /** Server shutdown: timers cleared, the process killed; resolves when it is gone. */
  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    clearTimeout(this.current?.deadline);
    const process = this.current?.process;
    process?.kill();
    await process?.finished();
  }

  /** The JobDetail that DescribeJobs returns. */
  toDetail(): Json {
    const { spec } = this;
    const running = this.current;
    const outcome: ContainerOutcome =
      running === undefined
        ? this.outcome
        : { logStreamName: running.logStreamName, taskArn: running.taskArn, containerInstanceArn: running.containerInstanceArn };
    return {
      ...this.toSummary(),
      jobQueue: spec.queue.arn,
      attempts: this.attempts,
      retryStrategy: { attempts: spec.attempts },
      dependsOn: [],
      parameters: spec.parameters,
      container: {
        ...spec.container.properties,
        image: spec.container.image,
        command: spec.container.command,
        environment: spec.container.environment,
        resourceRequirements: spec.container.resourceRequirements,
        vcpus: spec.container.vcpus,
        memory: spec.container.memory,
        ...outcome,
        networkInterfaces: [],
      },
      ...(spec.timeoutSeconds !== undefined && { timeout: { attemptDurationSeconds: spec.timeoutSeconds } }),
      tags: spec.tags,
      propagateTags: spec.propagateTags,
      platformCapabilities: spec.definition.platformCapabilities,
      isCancelled: this.isCancelled,
      isTerminated: this.isTerminated,
    };
  }

  /** The JobSummary that ListJobs returns. */
  toSummary(): Json {
    return {
      jobArn: this.jobArn,
      jobId: this.jobId,
      jobName: this.spec.jobName,
      createdAt: this.createdAt,
      status: this.status,
      statusReason: this.statusReason,
      startedAt: this.startedAt,
      stoppedAt: this.stoppedAt,
      container: this.done ? { exitCode: this.outcome.exitCode, reason: this.outcome.reason } : undefined,
      jobDefinition: this.spec.definition.jobDefinitionArn,
    };
  }

  private batchVariables(attempt: number): Record<string, string> {
    const { queue } = this.spec;
    return batchVariables(this.jobId, attempt, queue.name, queue.computeEnvironmentName);
  }

  private after(action: () => void): void {
    if (this.disposed) return;
    this.timer = setTimeout(action, this.host.stateDelayMs);
  }

  private setStatus(status: JobStatus): void {
    this.status = status;
    this.statusHistory.push(status);
  }

  private end(status: 'SUCCEEDED' | 'FAILED', reason: string): void {
    clearTimeout(this.timer);
    this.current = undefined;
    this.setStatus(status);
    this.statusReason = reason;
    this.stoppedAt = Date.now();
  }

  /** RUNNABLE: waiting for capacity, which here is always there after one state delay. */
  private queue(): void {
    this.setStatus('RUNNABLE');
    this.after(() => this.place());
  }

  /** STARTING: an ECS task exists (so a log stream name does) but its container is not running yet. */
  private place(): void {
    const number = this.attempts.length + 1;
    if (overridesLength(this.spec.container, this.batchVariables(number)) > MAX_OVERRIDES_LENGTH) {
      this.end('FAILED', `Container Overrides length must be at most ${MAX_OVERRIDES_LENGTH}`);
      return;
    }
    const taskId = randomBytes(16).toString('hex');
    const cluster = `${this.spec.queue.computeEnvironmentName}_Batch_${this.spec.queue.name}`;
    this.current = {
      number,
      taskArn: `arn:aws:ecs:${this.host.region}:${ACCOUNT}:task/${cluster}/${taskId}`,
      containerInstanceArn: `arn:aws:ecs:${this.host.region}:${ACCOUNT}:container-instance/${cluster}/${randomBytes(16).toString('hex')}`,
      instanceId: `i-${randomBytes(9).toString('hex').slice(0, 17)}`,
      logStreamName: `${this.spec.definition.jobDefinitionName}/default/${taskId}`,
    };
    this.setStatus('STARTING');
    this.after(() => this.launch(taskId));
  }

  /** A fresh, empty working directory per attempt, like a new container's filesystem. */
  private launch(taskId: string): void {
    const attempt = this.current;
    if (attempt === undefined) return;
    if (this.host.refusedImages.has(this.spec.container.image)) {
      const image = this.spec.container.image;
      attempt.cause = { statusReason: 'Task failed to start', retry: true, containerReason: `CannotPullContainerError: Error response from daemon: pull access denied for ${image}, repository does not exist or may require 'docker login'` };
      this.finishAttempt(attempt, {});
      return;
    }
    const missing = this.spec.container.secrets.find((secret) => !this.host.secretValues.has(secret.valueFrom));
    if (missing !== undefined) {
      attempt.cause = { statusReason: 'Task failed to start', retry: true, containerReason: `ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from asm: ResourceNotFoundException: ${missing.valueFrom} was not found (${missing.name})` };
      this.finishAttempt(attempt, {});
      return;
    }
    const root = mkdtempSync(join(this.host.workRoot, `${this.jobId}-${attempt.number}-`));
    for (const dir of ['work', 'home', 'tmp']) mkdirSync(join(root, dir));
    const env = processEnvironment(
      this.spec.container,
      { home: join(root, 'home'), tmp: join(root, 'tmp') },
      Object.fromEntries(this.spec.container.secrets.map((secret) => [secret.name, this.host.secretValues.get(secret.valueFrom) as string])),
      this.batchVariables(attempt.number),
      this.host.roleCredentialsEnv(taskId, this.spec.container.jobRoleArn),
    );
    this.processEnv = env;
    try {
      attempt.process = new ContainerProcess({
        command: this.spec.container.command,
        env,
        cwd: join(root, 'work'),
        onStart: () => this.started(attempt),
        onLine: (line) => this.host.logs.append(LOG_GROUP, attempt.logStreamName, line),
        onExit: (exit) => this.finishAttempt(attempt, exit),
      });
    } catch (error) {
      // spawn() throws synchronously for arguments it cannot pass to exec (a NUL byte, ...).
      this.finishAttempt(attempt, { startError: (error as Error).message });
    }
  }

  private started(attempt: Attempt): void {
    if (attempt !== this.current) return;
    attempt.startedAt = this.startedAt = Date.now();
    this.host.logs.createStream(LOG_GROUP, attempt.logStreamName);
    this.setStatus('RUNNING');
    const seconds = this.spec.timeoutSeconds;
    if (seconds !== undefined) {
      attempt.deadline = setTimeout(() => this.stopAttempt({ statusReason: TIMEOUT_REASON, retry: false }, true), seconds * 1000);
    }
  }

  private stopAttempt(cause: StopCause, graceful: boolean): void {
    const attempt = this.current;
    if (attempt?.process === undefined) return;
    attempt.cause ??= cause;
    if (graceful) attempt.process.stop(this.host.stopTimeoutMs);
    else attempt.process.kill();
  }

  private finishAttempt(attempt: Attempt, exit: ContainerExit): void {
    if (attempt !== this.current) return;
    clearTimeout(attempt.deadline);
    this.current = undefined;
    const { cause } = attempt;
    this.outcome = {
      ...(cause?.hostLost !== true && exit.exitCode !== undefined && { exitCode: exit.exitCode }),
      ...(exit.startError !== undefined && { reason: `CannotStartContainerError: ${exit.startError}` }),
      ...(cause?.containerReason !== undefined && { reason: cause.containerReason }),
      logStreamName: attempt.logStreamName,
      taskArn: attempt.taskArn,
      containerInstanceArn: attempt.containerInstanceArn,
    };
    const statusReason = cause?.statusReason ?? (exit.startError !== undefined ? 'Task failed to start' : CONTAINER_EXITED);
    const container = { ...this.outcome, networkInterfaces: [] };
    this.attempts.push({ container, startedAt: attempt.startedAt, stoppedAt: Date.now(), statusReason });
    if (cause === undefined && exit.exitCode === 0) this.end('SUCCEEDED', statusReason);
    else if ((cause?.retry ?? true) && this.attempts.length < this.spec.attempts) this.queue();
    else this.end('FAILED', statusReason);
  }
}
