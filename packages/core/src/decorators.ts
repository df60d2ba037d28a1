/**
 * Decorators work under TypeScript's standard (TC39) decorators and under `experimentalDecorators`:
 * each one records what it means on the method (or class) itself, so application order and
 * decorator flavour do not matter. The runtime reads the records back; nothing runs at decoration time.
 */

/** A decorator as written on a step or a flow: its name and attributes. */
export interface DecoratorSpec {
  name: string;
  attributes: Record<string, unknown>;
}

const STEP_MARK = Symbol.for('flowkit.step');
const STEP_DECORATORS = Symbol.for('flowkit.stepDecorators');
const FLOW_DECORATORS = Symbol.for('flowkit.flowDecorators');

type AnyFunction = (...args: never[]) => unknown;
type Marked = AnyFunction & { [STEP_MARK]?: true; [STEP_DECORATORS]?: DecoratorSpec[] };

/** A method decorator usable under both decorator flavours. */
export interface MethodDecorator {
  <T extends AnyFunction>(value: T, context: ClassMethodDecoratorContext): void;
  (target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
}

/** A class decorator usable under both decorator flavours. */
export interface ClassDecorator {
  <T extends abstract new (...args: never[]) => unknown>(value: T, context?: ClassDecoratorContext): void;
}

function isTc39MethodCall(args: unknown[]): boolean {
  const context = args[1] as { kind?: unknown } | undefined;
  return typeof args[0] === 'function' && typeof context === 'object' && context !== null && context.kind === 'method';
}

function isLegacyMethodCall(args: unknown[]): boolean {
  const descriptor = args[2] as PropertyDescriptor | undefined;
  return args.length === 3 && typeof descriptor === 'object' && descriptor !== null && typeof descriptor.value === 'function';
}

/** Finds the method a decorator call is about, or undefined when the call is not a decorator application. */
function decoratedMethod(args: unknown[]): Marked | undefined {
  if (isTc39MethodCall(args)) return args[0] as Marked;
  if (isLegacyMethodCall(args)) return (args[2] as PropertyDescriptor).value as Marked;
  return undefined;
}

/** Marks a method as a step of its flow. */
export const step: MethodDecorator = (...args: unknown[]): void => {
  const method = decoratedMethod(args);
  if (!method) throw new TypeError('@step decorates a method of a FlowSpec subclass; write it as `@step name() { ... }`.');
  method[STEP_MARK] = true;
};

function addStepDecorator(method: Marked, spec: DecoratorSpec): void {
  const specs = method[STEP_DECORATORS] ?? (method[STEP_DECORATORS] = []);
  specs.push(spec);
}

/**
 * Makes a step decorator that can be written bare (`@retry`) or with attributes (`@retry({ times: 2 })`).
 * Plugins use this for their own decorators; the runtime finds the implementation by name.
 */
export function makeStepDecorator<A extends object>(name: string): MethodDecorator & ((attributes?: A) => MethodDecorator) {
  return ((...args: unknown[]) => {
    const method = decoratedMethod(args);
    if (method) {
      addStepDecorator(method, { name, attributes: {} });
      return undefined;
    }
    const attributes = { ...((args[0] as object | undefined) ?? {}) } as Record<string, unknown>;
    return ((...inner: unknown[]) => {
      const target = decoratedMethod(inner);
      if (!target) throw new TypeError(`@${name}(...) decorates a step method.`);
      addStepDecorator(target, { name, attributes });
    }) as MethodDecorator;
  }) as MethodDecorator & ((attributes?: A) => MethodDecorator);
}

/** Makes a flow (class) decorator, written `@name({ ... })` on the FlowSpec subclass. */
export function makeFlowDecorator<A extends object>(name: string): (attributes?: A) => ClassDecorator {
  return (attributes?: A) =>
    ((cls: object) => {
      const own = Object.prototype.hasOwnProperty.call(cls, FLOW_DECORATORS)
        ? ((cls as Record<symbol, DecoratorSpec[]>)[FLOW_DECORATORS] ?? [])
        : [];
      own.push({ name, attributes: { ...(attributes ?? {}) } as Record<string, unknown> });
      Object.defineProperty(cls, FLOW_DECORATORS, { value: own, configurable: true });
    }) as ClassDecorator;
}

/** True when `value` is a method carrying `@step`. */
export function isStepMethod(value: unknown): boolean {
  return typeof value === 'function' && (value as Marked)[STEP_MARK] === true;
}

/** The decorators written on a step method, in source order (top first). */
export function stepDecoratorsOf(method: unknown): DecoratorSpec[] {
  if (typeof method !== 'function') return [];
  return [...((method as Marked)[STEP_DECORATORS] ?? [])].reverse();
}

/** The decorators written on a flow class (its own and its base classes'), top first. */
export function flowDecoratorsOf(cls: unknown): DecoratorSpec[] {
  const specs: DecoratorSpec[] = [];
  for (let c = cls as { [FLOW_DECORATORS]?: DecoratorSpec[] } | null; c; c = Object.getPrototypeOf(c)) {
    if (Object.prototype.hasOwnProperty.call(c, FLOW_DECORATORS)) specs.push(...[...(c[FLOW_DECORATORS] ?? [])].reverse());
  }
  return specs;
}
