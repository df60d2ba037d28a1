import { BatchClient, RegisterJobDefinitionCommand } from '@aws-sdk/client-batch';
import { CreateStateMachineCommand, DeleteStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchTestServer } from '../batch/batchServer';
import { StepFunctionsTestServer } from './sfnServer';

/** The Step Functions test server through the real SFNClient, its Batch jobs run by the Batch test server. */
describe('StepFunctionsTestServer', () => {
  let batch: BatchTestServer;
  let server: StepFunctionsTestServer;
  let sfn: SFNClient;
  const role = 'arn:aws:iam::123456789012:role/sfn';
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    batch = await BatchTestServer.start({ queues: ['q'], stateDelayMs: 2, stopTimeoutMs: 200 });
    server = await StepFunctionsTestServer.start({ batchEndpoint: batch.endpoint, pollMs: 10, retryIntervalMs: 0 });
    sfn = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    const client = new BatchClient({ endpoint: batch.endpoint, region: 'us-east-1', credentials });
    await client.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'node', type: 'container', containerProperties: { image: 'node:20', command: ['node', '--version'], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '512' }] } }));
    client.destroy();
  });
  afterAll(async () => {
    sfn?.destroy();
    await server?.stop();
    await batch?.stop();
  });

  /** One job whose script gets the attempt (`$$.State.RetryCount`) as its argument, retried twice. */
  const definition = (script: string, timeouts: { state?: number; execution?: number } = {}) =>
    JSON.stringify({
      StartAt: 'Job',
      ...(timeouts.execution === undefined ? {} : { TimeoutSeconds: timeouts.execution }),
      States: {
        Job: {
          Type: 'Task',
          Resource: 'arn:aws:states:::batch:submitJob.sync',
          Parameters: { JobName: 'job', JobQueue: 'q', JobDefinition: 'node', ContainerOverrides: { Command: ['node', '-e', script, 'Ref::attempt'] }, Parameters: { 'attempt.$': "States.Format('{}', $$.State.RetryCount)" } },
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
          ...(timeouts.state === undefined ? {} : { TimeoutSeconds: timeouts.state }),
          End: true,
        },
      },
    });

  async function run(name: string, script: string, timeouts?: { state?: number; execution?: number }) {
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name, definition: definition(script, timeouts), roleArn: role }));
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'first', input: '{}' }));
    return { stateMachineArn: stateMachineArn as string, executionArn: executionArn as string };
  }

  test('a job that fails once is retried with the next attempt number; one that always fails fails the execution', async () => {
    const retried = await run('retried', 'process.exit(process.argv[1] === "0" ? 1 : 0)');
    const failing = await run('failing', 'process.exit(3)');
    await Promise.all(server.executions().map((execution) => execution.settled));
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: retried.executionArn }))).toMatchObject({ status: 'SUCCEEDED', name: 'first', input: '{}' });
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: failing.executionArn }))).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    const commands = batch.jobs().map((job) => [job.command.at(-1), job.status]);
    expect(commands).toEqual(expect.arrayContaining([['0', 'FAILED'], ['1', 'SUCCEEDED']]));
    expect(batch.jobs().filter((job) => job.command[2] === 'process.exit(3)').map((job) => job.command.at(-1))).toEqual(['0', '1', '2']);
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: failing.stateMachineArn, statusFilter: 'FAILED' }));
    expect(listed.executions?.map((e) => e.name)).toEqual(['first']);
  });

  test('StopExecution aborts the execution and terminates its job', async () => {
    const { executionArn } = await run('sleeper', 'setTimeout(() => {}, 60000)');
    const [execution] = server.executions().filter((e) => e.executionArn === executionArn);
    while (!batch.jobs().some((job) => job.command[2]?.startsWith('setTimeout') && job.status === 'RUNNING')) await new Promise((resolve) => setTimeout(resolve, 20));
    await sfn.send(new StopExecutionCommand({ executionArn }));
    await execution?.settled;
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
    while (batch.jobs().some((job) => job.command[2]?.startsWith('setTimeout') && job.status !== 'FAILED')) await new Promise((resolve) => setTimeout(resolve, 20));
  });

  const jobsRunning = (script: string) => batch.jobs().filter((job) => job.command[2] === script && job.status !== 'FAILED');

  test("a state that runs past its TimeoutSeconds fails with States.Timeout, is retried, and each of its jobs is terminated", async () => {
    const script = 'setTimeout(() => {}, 60000) // state timeout';
    const { executionArn } = await run('state-timeout', script, { state: 1 });
    await server.executions().find((e) => e.executionArn === executionArn)?.settled;
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    while (jobsRunning(script).length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const jobs = batch.jobs().filter((job) => job.command[2] === script);
    expect(jobs.map((job) => [job.command.at(-1), job.statusReason])).toEqual(
      ['0', '1', '2'].map((attempt) => [attempt, `The Task state in AWS Step Functions execution [${executionArn}] which was managing this resource timed out`]),
    );
  });

  test("an execution that runs past its TimeoutSeconds is TIMED_OUT and its job terminated", async () => {
    const script = 'setTimeout(() => {}, 60000) // execution timeout';
    const { executionArn } = await run('execution-timeout', script, { execution: 1 });
    await server.executions().find((e) => e.executionArn === executionArn)?.settled;
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    while (jobsRunning(script).length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batch.jobs().filter((job) => job.command[2] === script).map((job) => job.statusReason)).toEqual([
      `The Task state in AWS Step Functions execution [${executionArn}] which was managing this resource was aborted`,
    ]);
  });

  test('errors as AWS names them', async () => {
    const error = (promise: Promise<unknown>) => promise.then(() => undefined, (e: Error) => e.name);
    expect(await error(sfn.send(new CreateStateMachineCommand({ name: 'bad name', definition: definition(''), roleArn: role })))).toBe('InvalidName');
    expect(await error(sfn.send(new CreateStateMachineCommand({ name: 'broken', definition: '{"StartAt":"Nowhere","States":{}}', roleArn: role })))).toBe('InvalidDefinition');
    expect(await error(sfn.send(new CreateStateMachineCommand({ name: 'retried', definition: definition('other'), roleArn: role })))).toBe('StateMachineAlreadyExists');
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:retried';
    expect(await error(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'first' })))).toBe('ExecutionAlreadyExists');
    expect(await error(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: 'not json' })))).toBe('InvalidExecutionInput');
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.map((m) => m.name)).not.toContain('retried');
    expect(await error(sfn.send(new StartExecutionCommand({ stateMachineArn: arn })))).toBe('StateMachineDoesNotExist');
  });
});
