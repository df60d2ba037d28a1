import { sourceMappedStack } from './stackTrace';

/**
 * Every error FlowKit raises on purpose is a FlowKitError: its message says what is wrong,
 * and `hint` says how to fix it. The CLI prints both on one line each, without a stack trace.
 */
export class FlowKitError extends Error {
  readonly hint?: string;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** A source location in a flow file (1-based line and column). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** The flow file cannot be loaded or does not define exactly one flow. */
export class FlowDefinitionError extends FlowKitError {
  readonly location?: SourceLocation;

  constructor(message: string, options: { hint?: string; location?: SourceLocation; cause?: unknown } = {}) {
    super(message, options);
    this.location = options.location;
  }
}

/** Bad parameter definition or value. */
export class ParameterError extends FlowKitError {}

/** A problem with the transitions a step declared or executed (next(), foreach, splits). */
export class TransitionError extends FlowKitError {}

/** mergeArtifacts() found conflicts, was called outside a join, or was given unknown names. */
export class MergeArtifactsError extends FlowKitError {
  readonly conflicts: Record<string, string[]>;

  constructor(message: string, conflicts: Record<string, string[]> = {}, hint?: string) {
    super(message, { hint });
    this.conflicts = conflicts;
  }
}

/** An artifact could not be read or written. */
export class ArtifactError extends FlowKitError {}

/** A run id, step name, task id or pathspec from outside is malformed or unknown. */
export class PathspecError extends FlowKitError {}

/** A storage backend failed. */
export class DataStoreError extends FlowKitError {}

/** A metadata provider failed, could not be reached, or refused a request. */
export class MetadataError extends FlowKitError {}

/** A plugin is unknown, or was given bad attributes. */
export class PluginError extends FlowKitError {}

/** A setting has a value FlowKit cannot use. */
export class ConfigError extends FlowKitError {}

/** An error's class as users named it: `class QuotaError extends Error {}` is a QuotaError, not an Error. */
export function errorType(error: Error): string {
  return error.name === 'Error' && error.constructor?.name ? error.constructor.name : error.name;
}

/** Renders an error for a terminal: message, then the hint on its own line. */
export function formatError(error: unknown): string {
  if (error instanceof FlowKitError) {
    return error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message;
  }
  if (!(error instanceof Error)) return String(error);
  const type = errorType(error);
  if (!error.stack) return `${type}: ${error.message}`;
  const stack = sourceMappedStack(error.stack);
  const renamed = type !== error.name && (stack.startsWith(`${error.name}:`) || stack.startsWith(`${error.name}\n`));
  return renamed ? `${type}${stack.slice(error.name.length)}` : stack;
}

/** The code of a network failure (refused, unreachable, timed out), or undefined for any other error. */
export function networkFailure(error: unknown): string | undefined {
  // A network error from another realm (a test sandbox) reaches us wrapped, its code only in the message.
  const code = (error as { code?: unknown }).code;
  const found = typeof code === 'string' ? code : /\b(E[A-Z]{4,})\b/.exec((error as Error)?.message ?? '')?.[1];
  return found !== undefined && NETWORK_CODES.has(found) ? found : undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH']);
