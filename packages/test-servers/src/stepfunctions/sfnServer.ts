import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchClient } from '@aws-sdk/client-batch';
import { S3Client } from '@aws-sdk/client-s3';
import { AwsError, closeServer, listenLocally, parseJson, readBody, sendJson } from '../batch/wire';
import type { Execution } from './execution';
import { SfnApi } from './sfnApi';

export interface StepFunctionsTestServerOptions {
  /** Where `batch:submitJob.sync` submits: the Batch test server's endpoint. */
  batchEndpoint: string;
  /** Where `aws-sdk:s3:getObject` reads (s3rver), with its credentials. */
  s3?: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  region?: string;
  /** Between two looks at a `.sync` job (DescribeJobs); default 50. */
  pollMs?: number;
  /** Wait before each retry of a Task state, in place of the definition's IntervalSeconds and BackoffRate. */
  retryIntervalMs?: number;
}

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET = 'AWSStepFunctions.';

/**
 * AWS Step Functions (awsJson1_0, `X-Amz-Target: AWSStepFunctions.<Operation>`) for the real `SFNClient`:
 * state machines and executions in memory, each execution run by aws-local-stepfunctions with Batch jobs
 * submitted to the Batch test server and S3 reads from s3rver, both through the real SDK clients.
 */
export class StepFunctionsTestServer {
  private readonly batch: BatchClient;
  private readonly s3?: S3Client;

  private constructor(
    private readonly server: Server,
    private readonly api: SfnApi,
    clients: { batch: BatchClient; s3?: S3Client },
    readonly region: string,
  ) {
    this.batch = clients.batch;
    this.s3 = clients.s3;
  }

  static async start(options: StepFunctionsTestServerOptions): Promise<StepFunctionsTestServer> {
    const region = options.region ?? 'us-east-1';
    const batch = new BatchClient({ endpoint: options.batchEndpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const s3 = options.s3 && new S3Client({ endpoint: options.s3.endpoint, forcePathStyle: true, region, credentials: { accessKeyId: options.s3.accessKeyId, secretAccessKey: options.s3.secretAccessKey } });
    const api = new SfnApi(region, { batch, s3, pollMs: options.pollMs ?? 50, retryIntervalMs: options.retryIntervalMs });
    const server = await listenLocally(async (req, res) => {
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        if (req.method !== 'POST' || !target.startsWith(TARGET)) throw new AwsError(400, 'UnknownOperationException', `Expected POST with X-Amz-Target ${TARGET}<Operation>.`);
        sendJson(res, 200, api.handle(target.slice(TARGET.length), parseJson(await readBody(req))), CONTENT_TYPE);
      } catch (error) {
        const aws = error instanceof AwsError ? error : new AwsError(500, 'InternalFailure', (error as Error).message);
        sendJson(res, aws.status, { __type: aws.type, message: aws.message }, CONTENT_TYPE);
      }
    });
    return new StepFunctionsTestServer(server, api, { batch, s3 }, region);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Variables for a FlowKit process that talks to this server: dummy credentials, region and the endpoint. */
  env(): Record<string, string> {
    return { AWS_REGION: this.region, AWS_DEFAULT_REGION: this.region, FLOWKIT_SFN_ENDPOINT_URL: this.endpoint };
  }

  /** Every execution, oldest first. */
  executions(): Execution[] {
    return [...this.api.executions.values()];
  }

  /** The definition of a state machine by name, as deployed. */
  definition(name: string): unknown {
    const machine = [...this.api.machines.values()].find((m) => m.name === name);
    return machine && JSON.parse(machine.definition);
  }

  /** Stops every running execution (terminating its jobs) and closes the port. */
  async stop(): Promise<void> {
    for (const execution of this.executions()) execution.stop('States.Aborted', 'test server stopped');
    await Promise.all(this.executions().map((execution) => execution.settled));
    await closeServer(this.server);
    this.batch.destroy();
    this.s3?.destroy();
  }
}
