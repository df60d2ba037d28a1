import { FlowKitError, MergeArtifactsError, TransitionError } from './errors';

/** One level of foreach nesting, outermost first in `foreachStack()`. */
export interface ForeachFrame {
  /** The step that split. */
  step: string;
  /** The artifact it split over. */
  var: string;
  index: number;
  numSplits: number;
}

export interface NextOptions {
  /** Name of the artifact to fan out over: one task of the target step per item. */
  foreach: string;
}

export interface MergeOptions {
  /** Merge only these artifacts. */
  include?: string[];
  /** Merge all artifacts but these. */
  exclude?: string[];
}

type StepRef = (...args: never[]) => unknown;

/** Names of the steps (methods) a flow class adds to FlowSpec. */
export type StepNames<F> = Exclude<
  { [K in keyof F]: F[K] extends (...args: never[]) => unknown ? K : never }[keyof F],
  keyof FlowSpec
>;

/** What a join step receives: every input task's artifacts, by position, and by step name after a branch. */
export type Inputs<F extends FlowSpec = FlowSpec> = ReadonlyArray<Readonly<F>> & {
  readonly [K in StepNames<F>]: Readonly<F>;
};

/** What the runtime provides to a flow instance while one of its steps runs. */
export interface TaskBinding {
  next(targets: string[], options?: NextOptions): void;
  input(): unknown;
  index(): number | undefined;
  foreachStack(): ForeachFrame[];
  mergeArtifacts(inputs: unknown, options: MergeOptions): void;
}

const BINDING = Symbol.for('flowkit.taskBinding');

/** Members of FlowSpec (and names FlowKit keeps) that a step or an artifact cannot take. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['next', 'input', 'index', 'foreachStack', 'mergeArtifacts', 'constructor']);

/**
 * Why `this.<name> = ...` cannot be an artifact, or undefined when it can: the one rule lint applies to the
 * source and the runtime to assignments lint cannot see (`(this as any)[name]`).
 */
export function artifactNameClash(name: string, isStep: boolean): { message: string; hint: string } | undefined {
  if (!isStep && !RESERVED_NAMES.has(name) && !name.startsWith('_')) return undefined;
  return {
    message: `Artifact '${name}' clashes with ${isStep ? 'a step' : 'a FlowSpec member or reserved name'}.`,
    hint: `rename it, e.g. this.${name.replace(/^_+/, '')}Value`,
  };
}

/**
 * Base class of every flow. Steps are methods carrying `@step`; whatever a step assigns to `this`
 * becomes a versioned artifact that later steps read.
 */
export abstract class FlowSpec {
  /** Declares the step(s) that run after this one; the last statement of every step but `end`. */
  next(...targets: [StepRef, ...StepRef[]]): void;
  next(target: StepRef, options: NextOptions): void;
  next(...args: unknown[]): void {
    const last = args[args.length - 1];
    const options = typeof last === 'object' && last !== null ? (args.pop() as NextOptions) : undefined;
    const targets = args.map((ref) => stepNameOf(this, ref));
    binding(this, 'next()').next(targets, options);
  }

  /** Inside a foreach: the item this task was given (the innermost foreach's). */
  get input(): unknown {
    return binding(this, 'this.input').input();
  }

  /** Inside a foreach: this task's position in the innermost foreach. */
  get index(): number | undefined {
    return binding(this, 'this.index').index();
  }

  /** Every enclosing foreach, outermost first. */
  foreachStack(): ForeachFrame[] {
    return binding(this, 'foreachStack()').foreachStack();
  }

  /**
   * In a join: copies to this step every artifact that is identical in all inputs that carry it.
   * Artifacts this step already set are left alone; any other artifact whose values differ is an error
   * naming it and the steps it came from, and then nothing is merged.
   */
  mergeArtifacts(inputs: Inputs<never> | ReadonlyArray<unknown>, options: MergeOptions = {}): void {
    if (!Array.isArray(inputs)) {
      throw new MergeArtifactsError('mergeArtifacts() takes the join step\'s `inputs`.', {}, 'call this.mergeArtifacts(inputs) inside a join step');
    }
    binding(this, 'mergeArtifacts()').mergeArtifacts(inputs, options);
  }
}

function binding(flow: FlowSpec, what: string): TaskBinding {
  const bound = (flow as unknown as Record<symbol, TaskBinding | undefined>)[BINDING];
  if (!bound) {
    throw new FlowKitError(`${what} is only available while a step runs.`, {
      hint: 'run the flow with `flowkit run <flow file>`; do not call steps directly',
    });
  }
  return bound;
}

function stepNameOf(flow: FlowSpec, ref: unknown): string {
  if (typeof ref === 'function') {
    for (let proto = Object.getPrototypeOf(flow); proto && proto !== FlowSpec.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        if (Object.getOwnPropertyDescriptor(proto, key)?.value === ref) return key;
      }
    }
  }
  throw new TransitionError(`next() was given ${typeof ref === 'function' ? `function ${ref.name || '(anonymous)'}` : String(ref)}, which is not a step of this flow.`, {
    hint: 'pass step methods of this flow: this.next(this.a) or this.next(this.body, { foreach: "items" })',
  });
}

/** Attaches the runtime's hooks to a flow instance for the duration of a task. */
export function bindTask(flow: FlowSpec, hooks: TaskBinding): void {
  Object.defineProperty(flow, BINDING, { value: hooks, configurable: true });
}
