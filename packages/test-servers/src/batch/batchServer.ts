import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_OPERATIONS, BatchService } from './batchApi';
import type { JobHost, JobStatus, ResourceRequirement } from './batchModel';
import { LOG_GROUP } from './jobs';
import { LOGS_OPERATIONS, LOGS_TARGET_PREFIX, handleLogs } from './logsApi';
import { LogStore } from './logStore';
import { AwsError, parseJson, readBody, sendError, sendJson, type Protocol } from './wire';

export interface BatchTestServerOptions {
  /** Job queues that exist, each with one compute environment `<queue>-ce`. Default: `['flowkit-test-queue']`. */
  queues?: string[];
  /** How long a job stays in each state before RUNNING. Default 20 ms. */
  stateDelayMs?: number;
  /** Grace period between SIGTERM and SIGKILL when a job is terminated or times out. ECS's default is 30 s. */
  stopTimeoutMs?: number;
  /** The smallest timeout.attemptDurationSeconds accepted. AWS's is 60; lower it to test timeouts quickly. */
  minimumTimeoutSeconds?: number;
  region?: string;
  /**
   * Credentials served to jobs whose job definition has a jobRoleArn, through the container
   * credentials endpoint the AWS SDKs read (AWS_CONTAINER_CREDENTIALS_FULL_URI). Without this option,
   * jobs get no credentials at all, like a job without a role.
   */
  jobRoleCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Images that cannot be pulled: their jobs fail to start with CannotPullContainerError. */
  refusedImages?: string[];
  /**
   * Secret values by ARN, as Secrets Manager or SSM Parameter Store would hold them: a job definition's
   * `secrets` entry becomes the variable with that value; an ARN not here fails the job to start.
   */
  secrets?: Record<string, string>;
}

/** What a test can see of a submitted job, beyond what DescribeJobs shows. */
export interface SubmittedJob {
  jobId: string;
  jobName: string;
  jobQueue: string;
  jobDefinitionArn: string;
  status: JobStatus;
  statusReason: string | undefined;
  /** Every status the job has been in, in order. */
  statusHistory: JobStatus[];
  command: string[];
  /** The job definition's environment with the overrides applied. */
  environment: Record<string, string>;
  /** The exact environment of the latest attempt's process (undefined before one started). */
  processEnv: Record<string, string> | undefined;
  resourceRequirements: ResourceRequirement[];
  tags: Record<string, string>;
  attempts: number;
}

/**
 * AWS Batch and CloudWatch Logs on one local port, for the real SDK clients: Batch by its restJson1
 * paths (`POST /v1/<operation>`), Logs by its awsJson1_1 `X-Amz-Target` header. Jobs really run:
 * each attempt's command is a local process and its output becomes the attempt's log stream.
 * Signatures are accepted unchecked, so any credentials work.
 */
export class BatchTestServer {
  readonly endpoint: string;
  private readonly seen: string[] = [];
  private readonly bodies: string[] = [];
  private throttled = 0;
  private submitFailure: AwsError | undefined;
  private paused = false;
  private held: (() => void)[] = [];
  /** Container credential tokens by ECS task id, checked like the real endpoint checks its token. */
  private readonly credentialTokens = new Map<string, string>();

  private constructor(
    private readonly server: Server,
    private readonly batch: BatchService,
    private readonly logs: LogStore,
    private readonly workRoot: string,
    private readonly options: BatchTestServerOptions,
  ) {
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(options: BatchTestServerOptions = {}): Promise<BatchTestServer> {
    const region = options.region ?? 'us-east-1';
    const workRoot = mkdtempSync(join(tmpdir(), 'flowkit-batch-'));
    const logs = new LogStore(region);
    logs.createGroup(LOG_GROUP);
    let self: BatchTestServer | undefined;
    const host: JobHost = {
      region,
      stateDelayMs: options.stateDelayMs ?? 20,
      stopTimeoutMs: options.stopTimeoutMs ?? 30_000,
      logs,
      workRoot,
      roleCredentialsEnv: (taskId, jobRoleArn) => self?.roleCredentialsEnv(taskId, jobRoleArn) ?? {},
      refusedImages: new Set(options.refusedImages ?? []),
      secretValues: new Map(Object.entries(options.secrets ?? {})),
    };
    const batch = new BatchService(options.queues ?? ['flowkit-test-queue'], options.minimumTimeoutSeconds ?? 60, host);
    // A request that breaks off mid-body has no one left to answer.
    const server = createServer((req, res) => void self?.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    self = new BatchTestServer(server, batch, logs, workRoot, options);
    return self;
  }

  /** Variables for a process that talks to this server: dummy credentials and both endpoints. */
  env(): Record<string, string> {
    const region = this.options.region ?? 'us-east-1';
    return {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      FLOWKIT_BATCH_ENDPOINT_URL: this.endpoint,
      FLOWKIT_CLOUDWATCH_LOGS_ENDPOINT_URL: this.endpoint,
    };
  }

  /** Every job submitted, oldest first, with what its process was given. */
  jobs(): SubmittedJob[] {
    return [...this.batch.jobs.values()].map((job) => ({
      jobId: job.jobId,
      jobName: job.spec.jobName,
      jobQueue: job.spec.queue.name,
      jobDefinitionArn: job.spec.definition.jobDefinitionArn,
      status: job.status,
      statusReason: job.statusReason,
      statusHistory: [...job.statusHistory],
      command: [...job.spec.container.command],
      environment: Object.fromEntries(job.spec.container.environment.map(({ name, value }) => [name, value])),
      processEnv: job.processEnv === undefined ? undefined : { ...job.processEnv },
      resourceRequirements: job.spec.container.resourceRequirements.map((r) => ({ ...r })),
      tags: { ...job.spec.tags },
      attempts: job.attempts.length,
    }));
  }

  /** Every request body in arrival order (job definitions, submit requests, ...), exactly as it arrived. */
  received(): string[] {
    return [...this.bodies];
  }

  /** Operation names in arrival order, throttled and failed requests included. */
  requests(): string[] {
    return [...this.seen];
  }

  /** The next `count` requests (either protocol) are throttled, so the SDK's retries are exercised. */
  throttleNext(count: number): void {
    this.throttled = count;
  }

  /**
   * The next SubmitJob fails with this message. A ClientException reaches the caller; a
   * ServerException is a 500, which the SDK retries by itself, so the caller sees success.
   */
  failNextSubmit(message: string, type: 'ClientException' | 'ServerException' = 'ClientException'): void {
    this.submitFailure = new AwsError(type === 'ClientException' ? 400 : 500, type, message);
  }

  /** The spot-reclaim case: the job's process is SIGKILLed and the attempt fails as a lost host. */
  reclaimHost(jobId: string): void {
    this.batch.job(jobId).reclaimHost();
  }

  /** The job's container is killed for using too much memory: exit 137, `OutOfMemoryError: ...`. */
  outOfMemory(jobId: string): void {
    this.batch.job(jobId).outOfMemory();
  }

  /** Requests wait (connections stay open) until resume(), like an endpoint that stopped answering. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const release of held) release();
  }

  /** Kills every job process, closes the port and removes the jobs' temp directories. */
  async stop(): Promise<void> {
    this.resume();
    await Promise.all([...this.batch.jobs.values()].map((job) => job.dispose()));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    rmSync(this.workRoot, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (this.paused) await new Promise<void>((resolve) => this.held.push(resolve));
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path.startsWith('/v2/credentials/')) return this.serveCredentials(req, res, path);
    const target = req.headers['x-amz-target'];
    const protocol: Protocol = typeof target === 'string' ? 'awsJson1_1' : 'restJson1';
    const operation =
      protocol === 'awsJson1_1'
        ? String(target).replace(LOGS_TARGET_PREFIX, '')
        : BATCH_OPERATIONS.get(/^\/v1\/([a-z]+)$/.exec(path)?.[1] ?? '');
    this.seen.push(operation ?? `${req.method ?? ''} ${path}`);
    this.bodies.push(body);
    try {
      if (operation === undefined || (protocol === 'awsJson1_1' && !LOGS_OPERATIONS.has(operation))) {
        const request = `${req.method ?? ''} ${path} ${target ?? ''}`;
        throw new AwsError(protocol === 'restJson1' ? 404 : 400, 'UnknownOperationException', `${request} is not an operation this test server implements.`);
      }
      this.injectFault(protocol, operation);
      const input = parseJson(body);
      const output = protocol === 'restJson1' ? this.batch.handle(operation, input) : handleLogs(this.logs, operation, input);
      sendJson(res, 200, output, protocol === 'restJson1' ? 'application/json' : 'application/x-amz-json-1.1');
    } catch (error) {
      const fault =
        error instanceof AwsError
          ? error
          : new AwsError(500, protocol === 'restJson1' ? 'ServerException' : 'ServiceUnavailableException', (error as Error).message);
      sendError(res, protocol, fault);
    }
  }

  /** Batch throttles with a 429; Logs with a 400 ThrottlingException. The SDK retries both. */
  private injectFault(protocol: Protocol, operation: string): void {
    if (this.throttled > 0) {
      this.throttled--;
      throw protocol === 'restJson1'
        ? new AwsError(429, 'TooManyRequestsException', 'Too Many Requests')
        : new AwsError(400, 'ThrottlingException', 'Rate exceeded');
    }
    if (operation === 'SubmitJob' && this.submitFailure !== undefined) {
      const failure = this.submitFailure;
      this.submitFailure = undefined;
      throw failure;
    }
  }

  private roleCredentialsEnv(taskId: string, jobRoleArn: string | undefined): Record<string, string> {
    if (this.options.jobRoleCredentials === undefined || jobRoleArn === undefined) return {};
    const token = randomBytes(16).toString('hex');
    this.credentialTokens.set(taskId, token);
    return {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${this.endpoint}/v2/credentials/${taskId}`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
    };
  }

  /** The container credentials endpoint, in the shape the SDKs' HTTP credential provider expects. */
  private serveCredentials(req: IncomingMessage, res: ServerResponse, path: string): void {
    const taskId = path.slice('/v2/credentials/'.length);
    const credentials = this.options.jobRoleCredentials;
    if (credentials === undefined || this.credentialTokens.get(taskId) !== req.headers.authorization) {
      sendJson(res, 403, { Code: 'AccessDenied', Message: 'Unknown task or wrong authorization token.' }, 'application/json');
      return;
    }
    sendJson(
      res,
      200,
      {
        AccessKeyId: credentials.accessKeyId,
        SecretAccessKey: credentials.secretAccessKey,
        Token: credentials.sessionToken ?? 'flowkit-test-session-token',
        Expiration: new Date(Date.now() + 6 * 3600_000).toISOString(),
      },
      'application/json',
    );
  }
}
