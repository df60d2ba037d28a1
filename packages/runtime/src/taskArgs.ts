import { FlowKitError, validateId, type DecoratorSpec } from '@flowkit/core/plugin';

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

/**
 * The same command as an orchestrator (Step Functions, Argo) gives it: no task id, inputs or split index, which
 * the task derives from the graph and the foreach indices the engine passes (outermost first). The attempt is
 * the engine's retry count of the state.
 */
export type OrchestratedTaskArgs = Omit<TaskArgs, 'taskId' | 'inputPaths' | 'splitIndex'> & { foreachIndices: number[] };

/** `init`: records a run an orchestrator started, under the id it gave, with its parameters. */
export interface InitArgs {
  runId: string;
  datastore: string;
  datastoreRoot: string;
  metadata: string;
  localRoot?: string;
  /** Parameter values by parameter name, as text (as on the command line). */
  parameters: Record<string, string>;
  tags: string[];
  /** The system tag `runtime:<name>` (e.g. step-functions). */
  runtime: string;
}

/** `failed`: records that a run an orchestrator started failed (the engine's handler of a failed execution). */
export type FailedRunArgs = Pick<InitArgs, 'runId' | 'datastore' | 'datastoreRoot' | 'metadata' | 'localRoot'>;

export function encodeTaskArgs(args: TaskArgs): string[] {
  const argv = [
    'step', args.stepName,
    '--run-id', args.runId,
    '--task-id', args.taskId,
    '--attempt', String(args.attempt),
    '--user-attempts', String(args.userAttempts),
    '--input-paths', compressPaths(args.inputPaths),
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

/** True for a `step` command an orchestrator gave (foreach indices instead of a task id). */
export function isOrchestrated(argv: string[]): boolean {
  return argv[0] === 'step' && argv.includes('--foreach-indices') && !argv.includes('--task-id');
}

export function decodeTaskArgs(argv: string[]): TaskArgs {
  const options = parseOptions(argv, 'step');
  const inputPaths = expandPaths(options.required('input-paths'));
  const split = options.get('split-index');
  return {
    ...commonArgs(options, argv),
    taskId: validateId('task', options.required('task-id')),
    inputPaths,
    splitIndex: split === undefined ? undefined : options.integer('split-index', split),
  };
}

export function decodeOrchestratedArgs(argv: string[]): OrchestratedTaskArgs {
  const options = parseOptions(argv, 'step');
  const indices = options.required('foreach-indices');
  return {
    ...commonArgs(options, argv),
    foreachIndices: indices === '' ? [] : indices.split(',').map((index) => options.integer('foreach-indices', index)),
  };
}

export function decodeInitArgs(argv: string[]): InitArgs {
  const options = parseOptions(argv, 'init');
  const parameters = options.json('parameters', {});
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters) || Object.values(parameters).some((v) => typeof v !== 'string')) {
    throw usage('--parameters takes a JSON object of parameter names to text values');
  }
  const tags = options.json('tags', []);
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string')) throw usage('--tags takes a JSON array of strings');
  return {
    ...runBackends(options),
    parameters: parameters as Record<string, string>,
    tags: tags as string[],
    runtime: runtimeName(options.get('runtime') ?? 'orchestrated'),
  };
}

export function decodeFailedRunArgs(argv: string[]): FailedRunArgs {
  return runBackends(parseOptions(argv, 'failed'));
}

/** The run and where its records live, as `init` and `failed` take them. */
function runBackends(options: ReturnType<typeof parseOptions>): FailedRunArgs {
  return {
    runId: validateId('run', options.required('run-id')),
    datastore: options.required('datastore'),
    datastoreRoot: options.required('datastore-root'),
    metadata: options.required('metadata'),
    localRoot: options.get('local-root'),
  };
}

function runtimeName(name: string): string {
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(name)) throw usage(`--runtime takes a name like step-functions, got '${name}'`);
  return name;
}

function commonArgs(options: ReturnType<typeof parseOptions>, argv: string[]) {
  const origin = options.get('origin-run-id');
  return {
    stepName: validateId('step', argv[1] as string),
    runId: validateId('run', options.required('run-id')),
    attempt: options.integer('attempt', options.required('attempt')),
    userAttempts: options.integer('user-attempts', options.required('user-attempts')),
    maxNumSplits: options.integer('max-num-splits', options.required('max-num-splits')),
    datastore: options.required('datastore'),
    datastoreRoot: options.required('datastore-root'),
    metadata: options.required('metadata'),
    localRoot: options.get('local-root'),
    originRunId: origin === undefined ? undefined : validateId('run', origin),
    withSpecs: options.json('with', []) as DecoratorSpec[],
  };
}

/** `<verb> [<step>] --name value ...`, every option once. */
function parseOptions(argv: string[], verb: 'step' | 'init' | 'failed') {
  if (argv[0] !== verb || (verb === 'step' && !argv[1])) throw usage(`expected \`${verb}${verb === 'step' ? ' <name>' : ''} ...\``);
  const options = new Map<string, string>();
  for (let i = verb === 'step' ? 2 : 1; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith('--') || value === undefined) throw usage(`unexpected '${key}'`);
    options.set(key.slice(2), value);
  }
  return {
    get: (name: string) => options.get(name),
    required(name: string): string {
      const value = options.get(name);
      if (value === undefined) throw usage(`missing --${name}`);
      return value;
    },
    integer(name: string, value: string): number {
      if (!/^\d+$/.test(value)) throw usage(`--${name} takes a whole number`);
      return Number(value);
    },
    json(name: string, fallback: unknown): unknown {
      const value = options.get(name);
      if (value === undefined) return fallback;
      try {
        return JSON.parse(value);
      } catch {
        throw usage(`--${name} takes JSON`);
      }
    },
  };
}

/**
 * Input paths in little space: a join of a 1000-way foreach must fit a backend's command limit (ECS allows 8 KiB).
 * A step's name is written once for the paths that follow it (`body/3,7`); runs of three or more consecutive
 * numeric task ids become ranges (`body/3..201`).
 */
export function compressPaths(paths: string[]): string {
  const tokens: Array<{ step: string; text: string }> = [];
  for (let i = 0; i < paths.length; ) {
    const [step, task] = (paths[i] as string).split('/') as [string, string];
    let end = i + 1;
    if (NUMERIC.test(task)) {
      while (end < paths.length && paths[end] === `${step}/${Number(task) + end - i}`) end++;
    }
    tokens.push({ step, text: end - i >= 3 ? `${task}..${Number(task) + end - i - 1}` : task });
    i = end - i >= 3 ? end : i + 1;
  }
  return tokens.map((token, k) => (tokens[k - 1]?.step === token.step ? token.text : `${token.step}/${token.text}`)).join(',');
}

export function expandPaths(text: string): string[] {
  const paths: string[] = [];
  let step: string | undefined;
  for (const part of text.split(',').filter(Boolean)) {
    const slash = part.indexOf('/');
    if (slash >= 0) step = validateId('step', part.slice(0, slash));
    const task = part.slice(slash + 1);
    if (step === undefined || task.includes('/')) throw usage(`bad input path '${part}'`);
    const range = /^(\d{1,15})\.\.(\d{1,15})$/.exec(task);
    if (!range) {
      paths.push(`${step}/${validateId('task', task)}`);
      continue;
    }
    const [first, last] = [Number(range[1]), Number(range[2])];
    if (last < first || last - first > MAX_RANGE) throw usage(`bad input path range '${part}'`);
    for (let id = first; id <= last; id++) paths.push(`${step}/${id}`);
  }
  return paths;
}

/** A task id that reads back the same as a number (no leading zeros). */
const NUMERIC = /^(0|[1-9]\d{0,14})$/;
const MAX_RANGE = 1_000_000;

function usage(problem: string): FlowKitError {
  return new FlowKitError(`Bad task command line: ${problem}.`, { hint: 'task processes are started by `flowkit run` or an orchestrator FlowKit compiled the flow for; do not start them by hand' });
}
