import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { ACCOUNT, AwsError, decodeOffsetToken, page, type Json } from '../batch/wire';
import { Execution, type ExecutionOptions } from './execution';

interface Machine {
  arn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: string;
  creationDate: Date;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const seconds = (date: Date) => date.getTime() / 1000;

const validation = (message: string) => new AwsError(400, 'ValidationException', message);

function text(input: Json, member: string, required = true): string {
  const value = input[member];
  if (value === undefined && !required) return '';
  if (typeof value !== 'string' || value === '') throw validation(`Value at '${member}' failed to satisfy constraint: Member must not be null`);
  return value;
}

/** A definition the interpreter accepts, or InvalidDefinition with its reasons. */
function checkDefinition(definition: string): void {
  try {
    new StateMachine(JSON.parse(definition) as never, { validationOptions: { checkArn: false } });
  } catch (error) {
    throw new AwsError(400, 'InvalidDefinition', `Invalid State Machine Definition: '${(error as Error).message}'`);
  }
}

/** Step Functions' operations (awsJson1_0) over state machines and executions kept in memory. */
export class SfnApi {
  readonly machines = new Map<string, Machine>();
  readonly executions = new Map<string, Execution>();

  constructor(
    private readonly region: string,
    private readonly executionOptions: ExecutionOptions,
  ) {}

  handle(operation: string, input: Json): Json {
    switch (operation) {
      case 'CreateStateMachine':
        return this.create(input);
      case 'UpdateStateMachine': {
        const machine = this.machine(input);
        const definition = text(input, 'definition', false);
        if (definition) checkDefinition(definition);
        Object.assign(machine, { definition: definition || machine.definition, roleArn: text(input, 'roleArn', false) || machine.roleArn });
        return { updateDate: seconds(new Date()) };
      }
      case 'DescribeStateMachine': {
        const m = this.machine(input);
        return { stateMachineArn: m.arn, name: m.name, status: 'ACTIVE', definition: m.definition, roleArn: m.roleArn, type: m.type, creationDate: seconds(m.creationDate) };
      }
      case 'ListStateMachines': {
        const all = [...this.machines.values()].map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: seconds(m.creationDate) }));
        const { items, nextToken } = page(all, decodeOffsetToken(input.nextToken as string | undefined, validation), (input.maxResults as number) || 100);
        return { stateMachines: items, nextToken };
      }
      case 'DeleteStateMachine':
        // As on AWS, executions already started run on.
        this.machines.delete(this.machine(input).arn);
        return {};
      case 'StartExecution':
        return this.start(input);
      case 'DescribeExecution': {
        const e = this.execution(input);
        return { ...summary(e), input: e.input, output: e.output, error: e.error, cause: e.cause };
      }
      case 'ListExecutions': {
        const arn = this.machine(input).arn;
        const filter = input.statusFilter as string | undefined;
        const all = [...this.executions.values()].filter((e) => e.stateMachineArn === arn && (filter === undefined || e.status === filter)).reverse();
        const { items, nextToken } = page(all.map(summary), decodeOffsetToken(input.nextToken as string | undefined, validation), (input.maxResults as number) || 100);
        return { executions: items, nextToken };
      }
      case 'StopExecution': {
        const e = this.execution(input);
        e.stop(input.error as string | undefined, input.cause as string | undefined);
        return { stopDate: seconds(e.stopDate ?? new Date()) };
      }
      default:
        throw new AwsError(400, 'UnknownOperationException', `The Step Functions test server does not implement ${operation}.`);
    }
  }

  private create(input: Json): Json {
    const name = text(input, 'name');
    if (!NAME.test(name)) throw new AwsError(400, 'InvalidName', `Invalid Name: '${name}'`);
    const definition = text(input, 'definition');
    const roleArn = text(input, 'roleArn');
    checkDefinition(definition);
    const arn = `arn:aws:states:${this.region}:${ACCOUNT}:stateMachine:${name}`;
    const existing = this.machines.get(arn);
    if (existing && (existing.definition !== definition || existing.roleArn !== roleArn)) throw new AwsError(400, 'StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    const machine = existing ?? { arn, name, definition, roleArn, type: (input.type as string | undefined) ?? 'STANDARD', creationDate: new Date() };
    this.machines.set(arn, machine);
    return { stateMachineArn: arn, creationDate: seconds(machine.creationDate) };
  }

  private start(input: Json): Json {
    const machine = this.machine(input);
    const name = text(input, 'name', false) || randomUUID();
    if (!NAME.test(name)) throw new AwsError(400, 'InvalidName', `Invalid Name: '${name}'`);
    const executionArn = `arn:aws:states:${this.region}:${ACCOUNT}:execution:${machine.name}:${name}`;
    if (this.executions.has(executionArn)) throw new AwsError(400, 'ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    const executionInput = text(input, 'input', false) || '{}';
    try {
      JSON.parse(executionInput);
    } catch {
      throw new AwsError(400, 'InvalidExecutionInput', 'Invalid execution input: not JSON.');
    }
    const execution = new Execution(executionArn, machine.arn, name, executionInput, machine.definition, this.executionOptions);
    this.executions.set(executionArn, execution);
    return { executionArn, startDate: seconds(execution.startDate) };
  }

  private machine(input: Json): Machine {
    const arn = text(input, 'stateMachineArn');
    const machine = this.machines.get(arn);
    if (!machine) throw new AwsError(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(input: Json): Execution {
    const arn = text(input, 'executionArn');
    const execution = this.executions.get(arn);
    if (!execution) throw new AwsError(400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }
}

function summary(e: Execution): Json {
  return { executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: seconds(e.startDate), stopDate: e.stopDate && seconds(e.stopDate) };
}
