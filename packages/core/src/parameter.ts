import { ParameterError } from './errors';

export type ParameterType = 'string' | 'number' | 'boolean' | 'json';

export interface ParameterOptions<T> {
  /** Shown in `flowkit run --help`. */
  help?: string;
  /** The value when none is given on the command line; a function is called once at run start. */
  default?: T | ((context: ParameterContext) => T);
  /** Refuse to start the run when no value is given. */
  required?: boolean;
  /** How the command-line text is parsed; inferred from `default` when left out. */
  type?: ParameterType;
}

/** What a function default is told about the run it computes a value for. */
export interface ParameterContext {
  parameterName: string;
  flowName: string;
  userName: string;
}

/** What a Parameter() field holds until the runtime replaces it with the run's value. */
export interface ParameterDefinition {
  name: string;
  help?: string;
  default?: unknown;
  required: boolean;
  type: ParameterType;
  /** Set by IncludeFile: the value given is a path or URL, and the run stores the file's content. */
  include?: { encoding: IncludeEncoding };
}

/** How an included file reads in steps: text (utf-8) or raw bytes (a Buffer). */
export type IncludeEncoding = 'utf-8' | 'binary';

const PARAMETER = Symbol.for('flowkit.parameter');
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * Declares a run parameter as a class field; in steps the field reads as the run's value (typed as
 * that value) and cannot be assigned. `alpha = Parameter('alpha', { default: 0.5 })` gives `--alpha`.
 */
export function Parameter(name: string, options: ParameterOptions<number> & { type: 'number' }): number;
export function Parameter(name: string, options: ParameterOptions<boolean> & { type: 'boolean' }): boolean;
export function Parameter<T = unknown>(name: string, options: ParameterOptions<T> & { type: 'json' }): T;
export function Parameter(name: string, options?: ParameterOptions<string> & { type?: 'string' }): string;
export function Parameter(name: string, options: ParameterOptions<number> & { default: number | ((context: ParameterContext) => number) }): number;
export function Parameter(name: string, options: ParameterOptions<boolean> & { default: boolean | ((context: ParameterContext) => boolean) }): boolean;
export function Parameter(name: string, options: ParameterOptions<unknown> = {}): unknown {
  if (!NAME_PATTERN.test(name)) {
    throw new ParameterError(`Parameter name '${name}' is not valid.`, {
      hint: 'use letters, digits, "_" or "-", starting with a letter (it becomes the --option name)',
    });
  }
  const type = options.type ?? inferType(options.default);
  const definition: ParameterDefinition = {
    name,
    help: options.help,
    default: options.default,
    required: options.required ?? false,
    type,
  };
  return Object.defineProperty(definition, PARAMETER, { value: true });
}

function inferType(value: unknown): ParameterType {
  if (typeof value === 'function') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (value !== null && typeof value === 'object') return 'json';
  return 'string';
}

export function isParameterDefinition(value: unknown): value is ParameterDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PARAMETER] === true;
}

/** The Parameter() fields of a flow instance, keyed by field name. */
export function parametersOf(flow: object): Map<string, ParameterDefinition> {
  const found = new Map<string, ParameterDefinition>();
  for (const [field, value] of Object.entries(flow)) {
    if (isParameterDefinition(value)) found.set(field, value);
  }
  return found;
}

/** Parses command-line text into a parameter's value, or explains why it cannot. */
export function parseParameterValue(definition: ParameterDefinition, text: string): unknown {
  const fail = (expected: string, hint: string): never => {
    throw new ParameterError(`Parameter '${definition.name}' expects ${expected}, got '${text}'.`, { hint });
  };
  switch (definition.type) {
    case 'string':
      return text;
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) fail('a number', `pass a number, e.g. --${definition.name} 0.5`);
      return value;
    }
    case 'boolean': {
      const lowered = text.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(lowered)) return true;
      if (['false', '0', 'no'].includes(lowered)) return false;
      return fail('a boolean', `pass true or false, e.g. --${definition.name} true`);
    }
    case 'json':
      try {
        return JSON.parse(text);
      } catch (error) {
        return fail('JSON', `quote the JSON for your shell, e.g. --${definition.name} '{"a": 1}' (${(error as Error).message})`);
      }
  }
}

/** The environment variable that gives a parameter's value when the command line does not: FLOWKIT_RUN_<NAME>. */
export function parameterEnvName(name: string): string {
  return `FLOWKIT_RUN_${name.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * The value a parameter takes when the command line gives none: FLOWKIT_RUN_<NAME> from the environment,
 * else its default (a function default is called once, with the run's context).
 */
export function defaultParameterValue(definition: ParameterDefinition, context: Omit<ParameterContext, 'parameterName'>, env: NodeJS.ProcessEnv = process.env): unknown {
  const fromEnv = env[parameterEnvName(definition.name)];
  if (fromEnv !== undefined) return parseParameterValue(definition, fromEnv);
  const value =
    typeof definition.default === 'function'
      ? (definition.default as (context: ParameterContext) => unknown)({ ...context, parameterName: definition.name })
      : definition.default;
  if (value === undefined && definition.required) {
    throw new ParameterError(`Parameter '${definition.name}' is required.`, {
      hint: `pass it as --${definition.name} <value> (or set ${parameterEnvName(definition.name)})`,
    });
  }
  return value;
}

/** Each parameter's value as given by name (the command line, an orchestrator's input), else FLOWKIT_RUN_<NAME>, else its default. */
export function parameterValues(parameters: Map<string, ParameterDefinition>, args: Record<string, unknown>, context: { flowName: string; userName: string }): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const [field, definition] of parameters) {
    let given = args[definition.name];
    if (Array.isArray(given)) given = given[given.length - 1];
    if (given === undefined) values.set(field, defaultParameterValue(definition, context));
    else values.set(field, parseParameterValue(definition, definition.type === 'boolean' && given === '' ? 'true' : String(given)));
  }
  return values;
}
