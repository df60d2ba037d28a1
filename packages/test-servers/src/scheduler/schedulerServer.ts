import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AwsError, closeServer, listenLocally, parseJson, readBody, sendError, sendJson, type Json } from '../batch/wire';
import { SchedulerApi, type Schedule } from './schedulerApi';

export interface SchedulerTestServerOptions {
  /** Where `fire()` starts a schedule's state machine: the Step Functions test server's endpoint. */
  stepFunctionsEndpoint?: string;
  region?: string;
}

/**
 * EventBridge Scheduler's schedules (restJson1: `POST|PUT|GET|DELETE /schedules/<name>`, `GET /schedules`) for the
 * real `SchedulerClient`, kept in memory. Nothing fires on its own: `fire(name)` does what AWS does at a schedule's
 * time for a Step Functions target, StartExecution with the target's input, through the real `SFNClient`.
 */
export class SchedulerTestServer {
  private readonly sfn?: SFNClient;

  private constructor(
    private readonly server: Server,
    private readonly api: SchedulerApi,
    readonly region: string,
    stepFunctionsEndpoint: string | undefined,
  ) {
    this.sfn = stepFunctionsEndpoint === undefined ? undefined : new SFNClient({ endpoint: stepFunctionsEndpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  }

  static async start(options: SchedulerTestServerOptions = {}): Promise<SchedulerTestServer> {
    const region = options.region ?? 'us-east-1';
    const api = new SchedulerApi(region);
    const server = await listenLocally(async (req, res) => {
      try {
        sendJson(res, 200, route(api, req, await readBody(req)), 'application/json');
      } catch (error) {
        sendError(res, 'restJson1', error instanceof AwsError ? error : new AwsError(500, 'InternalServerException', (error as Error).message));
      }
    });
    return new SchedulerTestServer(server, api, region, options.stepFunctionsEndpoint);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Variables for a FlowKit process that talks to this server: region and the endpoint. */
  env(): Record<string, string> {
    return { AWS_REGION: this.region, AWS_DEFAULT_REGION: this.region, FLOWKIT_EVENTBRIDGE_SCHEDULER_ENDPOINT_URL: this.endpoint };
  }

  /** A schedule by name, as GetSchedule returns it; undefined when there is none. */
  schedule(name: string): Schedule | undefined {
    const schedule = this.api.schedules.get(name);
    return schedule && structuredClone(schedule);
  }

  /** Starts the schedule's target now, as AWS would at its next time: the execution's ARN. */
  async fire(name: string): Promise<string> {
    const schedule = this.api.schedules.get(name);
    if (!schedule) throw new Error(`No schedule named ${name}.`);
    if (schedule.State !== 'ENABLED') throw new Error(`Schedule ${name} is ${schedule.State}: it does not fire.`);
    if (!/^arn:aws:states:[^:]+:\d{12}:stateMachine:/.test(schedule.Target.Arn)) throw new Error(`Schedule ${name}'s target ${schedule.Target.Arn} is not a state machine.`);
    if (!this.sfn) throw new Error('Start the scheduler test server with stepFunctionsEndpoint to fire schedules.');
    const started = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: schedule.Target.Arn, input: schedule.Target.Input }));
    return started.executionArn as string;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
    this.sfn?.destroy();
  }
}

/** The operation a request's method and path name, with its input from the body and the query. */
function route(api: SchedulerApi, req: IncomingMessage, body: string): Json {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const [collection, name, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (collection !== 'schedules' || rest.length > 0) throw new AwsError(404, 'UnknownOperationException', `The EventBridge Scheduler test server does not implement ${req.method} ${url.pathname}.`);
  const groupName = url.searchParams.get('groupName') ?? undefined;
  if (name === undefined) {
    if (req.method === 'GET') return api.list(url.searchParams);
  } else if (req.method === 'POST') {
    return api.create(name, parseJson(body));
  } else if (req.method === 'PUT') {
    return api.update(name, parseJson(body));
  } else if (req.method === 'GET') {
    return api.get(name, groupName) as unknown as Json;
  } else if (req.method === 'DELETE') {
    return api.delete(name, groupName);
  }
  throw new AwsError(404, 'UnknownOperationException', `The EventBridge Scheduler test server does not implement ${req.method} ${url.pathname}.`);
}
