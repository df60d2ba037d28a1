import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { flowDecoratorsOf } from '@flowkit/core/internal';
import { PluginError, type Config, type PreparedFlow } from '@flowkit/core/plugin';
import { unreachable } from './client';
import { scheduleOf, type Schedule } from './schedule';
import { schedulerSdk } from './sdk';
import { StepFunctionsSettings } from './settings';

/** EventBridge Scheduler's longest name; a state machine's may be 80 characters. */
const MAX_NAME = 64;

/** The flow's `@schedule`, checked, or undefined when it has none. Its schedule is named after the state machine. */
export function flowSchedule(flow: PreparedFlow, stateMachineName: string): Schedule | undefined {
  const written = flowDecoratorsOf(flow.flowClass).filter((decorator) => decorator.name === 'schedule');
  if (written.length > 1) throw new PluginError(`${flow.graph.flowName} has @schedule ${written.length} times.`, { hint: 'keep one: a flow runs on one schedule' });
  if (written[0] && stateMachineName.length > MAX_NAME) {
    throw new PluginError(`'${stateMachineName}' cannot name a schedule (at most ${MAX_NAME} characters).`, { hint: `shorten the flow's name or ${StepFunctionsSettings.prefix}` });
  }
  return written[0] && scheduleOf(flow.graph.flowName, written[0].attributes);
}

/** The role a schedule starts the state machine as, refused before anything is deployed when it is not set. */
export function scheduleRole(config: Config, flowName: string): string {
  const role = config.get(StepFunctionsSettings.eventsRole);
  if (!role) {
    throw new PluginError(`EventBridge Scheduler needs the IAM role it starts ${flowName} as, for its @schedule.`, {
      hint: `set ${StepFunctionsSettings.eventsRole}=arn:aws:iam::<account>:role/<role> (assumable by scheduler.amazonaws.com, allowed states:StartExecution)`,
    });
  }
  return role;
}

async function withScheduler<T>(config: Config, use: (client: SchedulerClient) => Promise<T>): Promise<T> {
  const endpoint = config.get(StepFunctionsSettings.schedulerEndpoint);
  const client = new (schedulerSdk().SchedulerClient)({ endpoint, maxAttempts: 8 });
  try {
    return await use(client);
  } catch (error) {
    throw unreachable(error, 'EventBridge Scheduler', endpoint, StepFunctionsSettings.schedulerEndpoint);
  } finally {
    client.destroy();
  }
}

/** Deletes the schedule of that name; false when there was none. */
async function deleteIfAny(client: SchedulerClient, name: string): Promise<boolean> {
  if (name.length > MAX_NAME) return false; // no schedule can have that name
  const sdk = schedulerSdk();
  try {
    await client.send(new sdk.DeleteScheduleCommand({ Name: name }));
    return true;
  } catch (error) {
    if (error instanceof sdk.ResourceNotFoundException) return false;
    throw error;
  }
}

export interface ScheduleTarget {
  stateMachineArn: string;
  roleArn: string;
}

/**
 * Makes the schedule what the flow says (create is declarative): created or replaced so it starts the state machine,
 * or deleted when the flow has no `@schedule`. Says what it did, for `create` to print.
 */
export async function applySchedule(config: Config, name: string, wanted: { schedule: Schedule; target: ScheduleTarget } | undefined): Promise<string | undefined> {
  return withScheduler(config, async (client) => {
    if (!wanted) return (await deleteIfAny(client, name)) ? `Schedule ${name} is deleted: the flow has no @schedule.` : undefined;
    const { schedule, target } = wanted;
    const sdk = schedulerSdk();
    const input: CreateScheduleCommandInput = {
      Name: name,
      ScheduleExpression: schedule.expression,
      ScheduleExpressionTimezone: schedule.timezone,
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Description: `Starts the FlowKit state machine ${name}`,
      // The state machine's Ids state reads the run's parameters here; deployed values and defaults apply.
      Target: { Arn: target.stateMachineArn, RoleArn: target.roleArn, Input: JSON.stringify({ parameters: {} }) },
    };
    try {
      await client.send(new sdk.CreateScheduleCommand(input));
    } catch (error) {
      if (!(error instanceof sdk.ConflictException)) throw error;
      // UpdateSchedule replaces every field, so the schedule becomes exactly this one.
      await client.send(new sdk.UpdateScheduleCommand(input));
    }
    return `Schedule ${name} starts it at ${schedule.expression}${schedule.timezone ? ` in ${schedule.timezone}` : ' UTC'}.`;
  });
}

/** Deletes a flow's schedule, if it has one; says so. */
export async function deleteSchedule(config: Config, name: string): Promise<string | undefined> {
  return withScheduler(config, async (client) => ((await deleteIfAny(client, name)) ? `Schedule ${name} is deleted.` : undefined));
}
