import type { ExecutionStatus, SFNClient } from '@aws-sdk/client-sfn';
import { openBackends } from '@flowkit/core/internal';
import { PluginError, formatTable, resolveUser, type Config, type PreparedFlow } from '@flowkit/core/plugin';
import { deployedStateMachine, stateMachineName, withSfn } from './client';
import { sfnSdk } from './sdk';

/** A deployed flow's runs as Step Functions executions: listed, terminated, and their ends recorded. */

/**
 * How an execution can end with no state left to record its run: its own TimeoutSeconds (--workflow-timeout) and
 * StopExecution end it outright, and no Catch sees either (a Catch handles what a state raises). The state machine
 * records every other end itself (`end` succeeded, `Record failure` failed). So the FlowKit commands that see the
 * execution record these: `terminate` as it stops one, `list-runs` for any that ended so (say, stopped from the
 * console). Until then `flowkit status` shows such a run "running or stopped", and the client's run.finished is
 * false (as for any run whose end step never ran); `resume` takes it either way.
 */
const ENDED_UNRECORDED: ExecutionStatus[] = ['TIMED_OUT', 'ABORTED'];

/** list-runs' filters, each the execution statuses it takes (a run timed out or stopped failed too). */
export const STATUSES: Record<string, ExecutionStatus[]> = { running: ['RUNNING'], succeeded: ['SUCCEEDED'], failed: ['FAILED', ...ENDED_UNRECORDED] };

/** `list-runs`: the flow's executions, newest first (`wanted`: at most one of STATUSES' keys). */
export async function listExecutions(flow: PreparedFlow, config: Config, wanted: string[]): Promise<void> {
  if (wanted.length > 1) throw new PluginError(`Give one of --${wanted.join(', --')}.`, { hint: 'or none, for every run' });
  const listed = await withSfn(config, async (client) => executions(client, config, flow, wanted[0] === undefined ? [undefined] : (STATUSES[wanted[0]] as ExecutionStatus[])));
  const rows = [['RUN ID', 'STATUS', 'STARTED', 'STOPPED'], ...listed.map((e) => [e.runId, e.status, e.started, e.stopped])];
  process.stdout.write(rows.length === 1 ? `No runs of ${flow.graph.flowName} on Step Functions match.\n` : `${formatTable(rows)}\n`);
  const settled = await recordEnded(config, flow, listed.filter((e) => ENDED_UNRECORDED.includes(e.status as ExecutionStatus)).map((e) => e.runId));
  for (const runId of settled) process.stdout.write(`Run ${runId} ended on Step Functions without recording it: recorded failed.\n`);
}

interface Listed {
  runId: string;
  status: string;
  started: string;
  stopped: string;
}

/** The executions with any of these statuses (`undefined`: every one), newest first. */
async function executions(client: SFNClient, config: Config, flow: PreparedFlow, statusFilters: Array<ExecutionStatus | undefined>): Promise<Listed[]> {
  const stateMachineArn = await deployedStateMachine(client, stateMachineName(config, flow.graph.flowName));
  const listed: Listed[] = [];
  for (const statusFilter of statusFilters) {
    let nextToken: string | undefined;
    do {
      const page = await client.send(new (sfnSdk().ListExecutionsCommand)({ stateMachineArn, statusFilter, nextToken }));
      for (const execution of page.executions ?? []) {
        listed.push({ runId: `sfn-${execution.name}`, status: execution.status ?? '', started: execution.startDate?.toISOString() ?? '', stopped: execution.stopDate?.toISOString() ?? '' });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return listed.sort((a, b) => b.started.localeCompare(a.started));
}


/** Records failed those of these runs still recorded running; the ones it recorded. */
async function recordEnded(config: Config, flow: PreparedFlow, runIds: string[]): Promise<string[]> {
  if (runIds.length === 0) return [];
  const { metadata } = openBackends({}, config, flow.flowDir);
  const recorded: string[] = [];
  for (const runId of runIds) {
    const run = await metadata.getRun(flow.graph.flowName, runId);
    if (run?.status !== 'running') continue;
    await metadata.finishRun(flow.graph.flowName, runId, 'failed');
    recorded.push(runId);
  }
  return recorded;
}

/** `terminate`: stops a running execution (Step Functions terminates its jobs) and records its run failed. */
export async function terminateRun(flow: PreparedFlow, config: Config, runId: string, flowFile: string): Promise<void> {
  const name = stateMachineName(config, flow.graph.flowName);
  if (!/^sfn-[A-Za-z0-9_-]{1,80}$/.test(runId)) {
    throw new PluginError(`'${runId}' is not the id of a run started on Step Functions (those begin with sfn-).`, { hint: `flowkit step-functions list-runs ${flowFile} --running lists them` });
  }
  await withSfn(config, async (client) => {
    const stateMachineArn = await deployedStateMachine(client, name);
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId.slice('sfn-'.length)}`;
    const status = await client.send(new (sfnSdk().DescribeExecutionCommand)({ executionArn })).then(
      (described) => described.status,
      (error: Error) => {
        if (error.name !== 'ExecutionDoesNotExist') throw error;
        throw new PluginError(`${flow.graph.flowName} has no run ${runId} on state machine ${name}.`, { hint: `flowkit step-functions list-runs ${flowFile} lists its runs` });
      },
    );
    if (status !== 'RUNNING') throw new PluginError(`Run ${runId} of ${flow.graph.flowName} is not running: it ended ${status}.`, { hint: 'only a running run can be terminated' });
    await client.send(new (sfnSdk().StopExecutionCommand)({ executionArn, error: 'FlowKit.Terminated', cause: `Terminated by ${resolveUser(config)} with flowkit step-functions terminate.` }));
  });
  await recordEnded(config, flow, [runId]);
  process.stdout.write(`Run ${runId} of ${flow.graph.flowName} is terminated (Step Functions stops its jobs) and recorded failed.\n`);
}

