import { BatchTestServer, SchedulerTestServer, StepFunctionsTestServer, type BatchTestServerOptions } from '@flowkit/test-servers';
import { startPostgres, type TestPostgres } from './postgres';
import { S3TestServer } from './s3server';
import { startService, type TestService } from './service';

/** What `flowkit step-functions` deploys to and runs on, all local: the test servers, s3rver, PostgreSQL and the metadata service. */
export interface StepFunctionsStack {
  s3: S3TestServer;
  batch: BatchTestServer;
  postgres: TestPostgres;
  service: TestService;
  sfn: StepFunctionsTestServer;
  scheduler: SchedulerTestServer;
  /** The settings that point `flowkit` (and the jobs it deploys) at all of them. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the stack: the Step Functions test server runs executions whose jobs go to the Batch test server (a job
 * reads s3rver with its job role's credentials), EventBridge Scheduler fires through the SFN one, runs are recorded
 * in a metadata service on its own database. `root` is the S3 datastore root (`s3://flowkit/...`).
 */
export async function startStepFunctionsStack(options: { root: string; queue: string; batch?: Partial<BatchTestServerOptions> }): Promise<StepFunctionsStack> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const [s3, batch, postgres] = await Promise.all([
    S3TestServer.start(['flowkit']),
    BatchTestServer.start({ queues: [options.queue], stateDelayMs: 5, stopTimeoutMs: 500, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, ...options.batch }),
    startPostgres(),
  ]);
  const service = await startService({ databaseUrl: await postgres.createDatabase(`sfn_${options.queue.replace(/\W/g, '_')}`) });
  const sfn = await StepFunctionsTestServer.start({ batchEndpoint: batch.endpoint, s3: { endpoint: s3.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, pollMs: 100, retryIntervalMs: 0 });
  // `create` is declarative: it removes a schedule the flow no longer has, so it always asks EventBridge Scheduler.
  const scheduler = await SchedulerTestServer.start({ stepFunctionsEndpoint: sfn.endpoint });
  return {
    s3,
    batch,
    postgres,
    service,
    sfn,
    scheduler,
    env: {
      ...batch.env(),
      ...s3.env(options.root),
      ...sfn.env(),
      ...scheduler.env(),
      FLOWKIT_DEFAULT_DATASTORE: 's3',
      FLOWKIT_DEFAULT_METADATA: 'service',
      FLOWKIT_SERVICE_URL: service.url,
      FLOWKIT_BATCH_JOB_QUEUE: options.queue,
      FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/flowkit-batch',
      FLOWKIT_SFN_IAM_ROLE: 'arn:aws:iam::123456789012:role/flowkit-sfn',
    },
    async stop() {
      await scheduler.stop();
      await sfn.stop();
      await batch.stop();
      await service.stop();
      await postgres.stop();
      await s3.close();
    },
  };
}
