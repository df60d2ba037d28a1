import { CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient, UpdateScheduleCommand, type CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsTestServer } from '../stepfunctions/sfnServer';
import { SchedulerTestServer } from './schedulerServer';

/** The EventBridge Scheduler test server through the real SchedulerClient; fire() starts executions on the Step Functions test server. */
describe('SchedulerTestServer', () => {
  let sfnServer: StepFunctionsTestServer;
  let server: SchedulerTestServer;
  let scheduler: SchedulerClient;
  let stateMachineArn: string;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const role = 'arn:aws:iam::123456789012:role/scheduler';

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // A Pass state only: no Batch job is ever submitted.
    sfnServer = await StepFunctionsTestServer.start({ batchEndpoint: 'http://127.0.0.1:9' });
    server = await SchedulerTestServer.start({ stepFunctionsEndpoint: sfnServer.endpoint });
    scheduler = new SchedulerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    const sfn = new SFNClient({ endpoint: sfnServer.endpoint, region: 'us-east-1', credentials });
    const definition = JSON.stringify({ StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } });
    stateMachineArn = (await sfn.send(new CreateStateMachineCommand({ name: 'echo', definition, roleArn: role }))).stateMachineArn as string;
    sfn.destroy();
  });
  afterAll(async () => {
    scheduler?.destroy();
    await server?.stop();
    await sfnServer?.stop();
  });

  const input = (name: string, expression: string, more: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput => ({
    Name: name,
    ScheduleExpression: expression,
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: stateMachineArn, RoleArn: role, Input: '{"parameters":{}}' },
    ...more,
  });
  const error = (promise: Promise<unknown>) => promise.then(() => undefined, (e: Error) => e.name);

  test('create, get, update (every member replaced), list and delete', async () => {
    const { ScheduleArn } = await scheduler.send(new CreateScheduleCommand(input('nightly', 'cron(0 2 * * ? *)', { ScheduleExpressionTimezone: 'Europe/Paris', Description: 'nightly run' })));
    expect(ScheduleArn).toBe('arn:aws:scheduler:us-east-1:123456789012:schedule/default/nightly');
    const got = await scheduler.send(new GetScheduleCommand({ Name: 'nightly' }));
    expect(got).toMatchObject({ Name: 'nightly', GroupName: 'default', State: 'ENABLED', ScheduleExpression: 'cron(0 2 * * ? *)', ScheduleExpressionTimezone: 'Europe/Paris', Description: 'nightly run', Target: { Arn: stateMachineArn, RoleArn: role } });
    expect(got.CreationDate).toBeInstanceOf(Date);

    await scheduler.send(new UpdateScheduleCommand(input('nightly', 'rate(5 minutes)')));
    const updated = await scheduler.send(new GetScheduleCommand({ Name: 'nightly' }));
    expect([updated.ScheduleExpression, updated.ScheduleExpressionTimezone, updated.Description]).toEqual(['rate(5 minutes)', undefined, undefined]);

    await scheduler.send(new CreateScheduleCommand(input('once', 'at(2030-01-31T23:59:00)')));
    const listed = await scheduler.send(new ListSchedulesCommand({ NamePrefix: 'n' }));
    expect(listed.Schedules?.map((s) => [s.Name, s.Target?.Arn])).toEqual([['nightly', stateMachineArn]]);
    const paged = await scheduler.send(new ListSchedulesCommand({ MaxResults: 1 }));
    expect(paged.Schedules?.length).toBe(1);
    expect((await scheduler.send(new ListSchedulesCommand({ NextToken: paged.NextToken }))).Schedules?.map((s) => s.Name)).toEqual(['once']);

    await scheduler.send(new DeleteScheduleCommand({ Name: 'nightly' }));
    await scheduler.send(new DeleteScheduleCommand({ Name: 'once' }));
    expect(server.schedule('nightly')).toBeUndefined();
  });

  test('expressions as AWS checks them: cron of 6 fields with ? in one day field, rate() with its unit, at() a real time; IANA time zones', async () => {
    const valid = ['cron(0 12 * * ? *)', 'cron(0/15 8-17 ? * MON-FRI *)', 'cron(0 0 L * ? 2030)', 'cron(30 9 ? * 6#3 *)', 'cron(0 0 15W JAN,JUL ? *)', 'rate(1 minute)', 'rate(12 hours)', 'at(2030-02-28T00:00:00)'];
    for (const [i, expression] of valid.entries()) await scheduler.send(new CreateScheduleCommand(input(`valid-${i}`, expression)));
    const invalid = ['cron(0 12 * * *)', 'cron(0 12 * * * *)', 'cron(0 12 ? * ? *)', 'cron(? 12 * * ? *)', 'cron(60 12 * * ? *)', 'cron(0 12 * 13 ? *)', 'rate(1 minutes)', 'rate(5 minute)', 'rate(0 hours)', 'at(2030-02-30T00:00:00)', '0 12 * * ? *'];
    for (const expression of invalid) expect([expression, await error(scheduler.send(new CreateScheduleCommand(input('invalid', expression))))]).toEqual([expression, 'ValidationException']);
    expect(await error(scheduler.send(new CreateScheduleCommand(input('zone', 'rate(1 day)', { ScheduleExpressionTimezone: 'Mars/Olympus' }))))).toBe('ValidationException');
    expect(server.schedule('invalid')).toBeUndefined();
  });

  test('errors as AWS names them', async () => {
    await scheduler.send(new CreateScheduleCommand(input('taken', 'rate(1 day)')));
    expect(await error(scheduler.send(new CreateScheduleCommand(input('taken', 'rate(2 days)'))))).toBe('ConflictException');
    expect(await error(scheduler.send(new GetScheduleCommand({ Name: 'missing' })))).toBe('ResourceNotFoundException');
    expect(await error(scheduler.send(new UpdateScheduleCommand(input('missing', 'rate(1 day)'))))).toBe('ResourceNotFoundException');
    expect(await error(scheduler.send(new DeleteScheduleCommand({ Name: 'missing' })))).toBe('ResourceNotFoundException');
    expect(await error(scheduler.send(new GetScheduleCommand({ Name: 'taken', GroupName: 'other' })))).toBe('ResourceNotFoundException');
    expect(await error(scheduler.send(new CreateScheduleCommand(input('bad name!', 'rate(1 day)'))))).toBe('ValidationException');
    expect(await error(scheduler.send(new CreateScheduleCommand(input('bad-role', 'rate(1 day)', { Target: { Arn: stateMachineArn, RoleArn: 'admin' } }))))).toBe('ValidationException');
  });

  test('fire() starts the target state machine with the target input', async () => {
    await scheduler.send(new CreateScheduleCommand(input('fired', 'cron(0 0 * * ? *)')));
    const executionArn = await server.fire('fired');
    const execution = sfnServer.executions().find((e) => e.executionArn === executionArn);
    await execution?.settled;
    expect(execution).toMatchObject({ stateMachineArn, status: 'SUCCEEDED', output: '{"parameters":{}}' });
    await scheduler.send(new UpdateScheduleCommand(input('fired', 'cron(0 0 * * ? *)', { State: 'DISABLED' })));
    await expect(server.fire('fired')).rejects.toThrow('Schedule fired is DISABLED: it does not fire.');
  });
});
