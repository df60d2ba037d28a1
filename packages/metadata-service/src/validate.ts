import { FlowKitError, MAX_ATTEMPTS, validateId, validateTags, type AttemptStatus, type PathspecKind, type RunStatus } from '@flowkit/core/plugin';
import { DEFAULT_PAGE_SIZE, MAX_ERROR_CHARS, MAX_PAGE_SIZE } from './wire';

/** A request the service refuses or cannot serve; becomes `{ error: { code, message, hint } }` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function badRequest(message: string, hint?: string): HttpError {
  return new HttpError(400, 'bad_request', message, hint);
}

/** Runs core's own checks (ids, tags) and turns their errors into 400s carrying the same message and hint. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof FlowKitError) throw badRequest(error.message, error.hint);
    throw error;
  }
}

export function id(kind: PathspecKind, value: unknown): string {
  return checked(() => validateId(kind, value as string));
}

/** `run/step/task` or `step/task`: each part checked as the id it is. */
export function pathOf(value: unknown, field: string, kinds: PathspecKind[]): string {
  const parts = text(value, field, 1024).split('/');
  if (parts.length !== kinds.length) throw badRequest(`'${field}' must be ${kinds.map((k) => k.toUpperCase()).join('/')}, got ${JSON.stringify(value)}.`);
  return parts.map((part, i) => id(kinds[i] as PathspecKind, part)).join('/');
}

export function attemptNumber(value: unknown): number {
  const n = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_ATTEMPTS) {
    throw badRequest(`Invalid attempt ${JSON.stringify(value)}.`, `an attempt is a whole number from 0 to ${MAX_ATTEMPTS}`);
  }
  return n;
}

const MAX_TAGS = 100;

export function tags(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw badRequest(`'${field}' must be an array of tags.`);
  if (value.length > MAX_TAGS) throw badRequest(`'${field}' has ${value.length} tags; at most ${MAX_TAGS} are allowed.`);
  return checked(() => validateTags(value as string[]));
}

/** A JSON body: an object with only the known fields. */
export function body(value: unknown, known: string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('The request body must be a JSON object.');
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw badRequest(`Unknown field${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `'${k}'`).join(', ')}.`, `known: ${known.join(', ')}`);
  return value as Record<string, unknown>;
}

/** A JSON object used as a map (names chosen by the client). */
export function record(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`'${field}' must be a JSON object.`);
  return value as Record<string, unknown>;
}

/** Text of 1 to `max` characters without control characters (NUL and friends break logs and some clients). */
export function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
    throw badRequest(`'${field}' must be 1 to ${max} characters of text without control characters.`);
  }
  return value;
}

export function optional<T>(value: unknown, parse: (v: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : parse(value);
}

export function integer(value: unknown, field: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) throw badRequest(`'${field}' must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  return n;
}

export function status<T extends RunStatus | AttemptStatus>(value: unknown, field: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw badRequest(`'${field}' must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}.`);
  return value as T;
}

/** The failure text of an attempt (`error`, `died`): kept to one bounded line. */
export function errorText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_ERROR_CHARS) throw badRequest(`'${field}' must be text of at most ${MAX_ERROR_CHARS} characters.`);
  return value;
}

/** A request id a client chose so a retried create is recorded once. */
export function requestId(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(value)) throw badRequest("'requestId' must be 8 to 64 letters, digits, '-' or '_'.", 'send a fresh UUID per logical request, the same one on retries');
  return value;
}

/** `limit` and `cursor` of a list request. */
export function pageQuery(query: URLSearchParams): { limit: number; cursor: unknown[] | undefined } {
  const limit = query.has('limit') ? integer(query.get('limit'), 'limit', 1, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  const raw = query.get('cursor');
  if (raw === null) return { limit, cursor: undefined };
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    cursor = undefined;
  }
  if (!Array.isArray(cursor) || raw.length > 1024) throw badRequest('Invalid cursor.', "pass back the 'next' value of the previous page unchanged");
  return { limit, cursor };
}

/** Checks a decoded cursor has the expected shape (it came from outside, so it is checked like any input). */
export function cursorOf(cursor: unknown[], kinds: Array<'number' | 'string'>): unknown[] {
  if (cursor.length !== kinds.length || cursor.some((v, i) => (kinds[i] === 'number' ? !Number.isSafeInteger(v) : typeof v !== 'string' || v.length > 256))) {
    throw badRequest('Invalid cursor.', "pass back the 'next' value of the previous page unchanged");
  }
  return cursor;
}

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}
