import { FlowKitError, validateId, type DecoratorSpec } from '@flowkit/core';

/** The command line of a task process: the one contract between the scheduler and `step`. */
export interface TaskArgs {
  stepName: string;
  runId: string;
  taskId: string;
  attempt: number;
  /** Attempts that run user code; from this number on, attempts are fallbacks (@catch). */
  userAttempts: number;
  /** `step/taskId` of each input task, in order. */
  inputPaths: string[];
  splitIndex?: number;
  maxNumSplits: number;
  datastore: string;
  datastoreRoot: string;
  metadata: string;
  /** Where local records live (the local datastore root); absent for a task away from this machine. */
  localRoot?: string;
  originRunId?: string;
  /** Run-time decorators (`--with`). */
  withSpecs: DecoratorSpec[];
}

export function encodeTaskArgs(args: TaskArgs): string[] {
  const argv = [
    'step', args.stepName,
    '--run-id', args.runId,
    '--task-id', args.taskId,
    '--attempt', String(args.attempt),
    '--user-attempts', String(args.userAttempts),
    '--input-paths', args.inputPaths.join(','),
    '--max-num-splits', String(args.maxNumSplits),
    '--datastore', args.datastore,
    '--datastore-root', args.datastoreRoot,
    '--metadata', args.metadata,
  ];
  if (args.localRoot !== undefined) argv.push('--local-root', args.localRoot);
  if (args.splitIndex !== undefined) argv.push('--split-index', String(args.splitIndex));
  if (args.originRunId !== undefined) argv.push('--origin-run-id', args.originRunId);
  if (args.withSpecs.length > 0) argv.push('--with', JSON.stringify(args.withSpecs));
  return argv;
}

export function decodeTaskArgs(argv: string[]): TaskArgs {
  if (argv[0] !== 'step' || !argv[1]) throw usage('expected `step <name> ...`');
  const options = new Map<string, string>();
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith('--') || value === undefined) throw usage(`unexpected '${key}'`);
    options.set(key.slice(2), value);
  }
  const required = (name: string): string => {
    const value = options.get(name);
    if (value === undefined) throw usage(`missing --${name}`);
    return value;
  };
  const integer = (name: string, value: string): number => {
    if (!/^\d+$/.test(value)) throw usage(`--${name} takes a whole number`);
    return Number(value);
  };
  const inputPaths = required('input-paths').split(',').filter(Boolean);
  for (const path of inputPaths) {
    const [step, task, extra] = path.split('/');
    if (extra !== undefined || !step || !task) throw usage(`bad input path '${path}'`);
    validateId('step', step);
    validateId('task', task);
  }
  const split = options.get('split-index');
  const origin = options.get('origin-run-id');
  return {
    stepName: validateId('step', argv[1]),
    runId: validateId('run', required('run-id')),
    taskId: validateId('task', required('task-id')),
    attempt: integer('attempt', required('attempt')),
    userAttempts: integer('user-attempts', required('user-attempts')),
    inputPaths,
    splitIndex: split === undefined ? undefined : integer('split-index', split),
    maxNumSplits: integer('max-num-splits', required('max-num-splits')),
    datastore: required('datastore'),
    datastoreRoot: required('datastore-root'),
    metadata: required('metadata'),
    localRoot: options.get('local-root'),
    originRunId: origin === undefined ? undefined : validateId('run', origin),
    withSpecs: JSON.parse(options.get('with') ?? '[]') as DecoratorSpec[],
  };
}

function usage(problem: string): FlowKitError {
  return new FlowKitError(`Bad task command line: ${problem}.`, { hint: 'task processes are started by `flowkit run`; do not start them by hand' });
}
