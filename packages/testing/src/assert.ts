import { isDeepStrictEqual, inspect } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { current } from '@flowkit/core';

/** Assertions usable inside generated flows' steps and in checkResults. */
export function assertEquals(expected: unknown, actual: unknown, what = 'value'): void {
  if (!isDeepStrictEqual(expected, actual) && !equalAcrossRealms(expected, actual)) {
    throw new Error(`${what}: expected ${inspect(expected, { depth: 4 })}, got ${inspect(actual, { depth: 4 })}`);
  }
}

/**
 * Under jest an artifact read back is built in Node's own realm, while a value made by checker code lives in
 * jest's VM realm: same data, another Array.prototype, so deep equality fails. One v8 round trip puts both in
 * one realm; values that cannot be serialized are not artifacts and stay unequal.
 */
function equalAcrossRealms(expected: unknown, actual: unknown): boolean {
  try {
    return Object.prototype.toString.call(expected) === Object.prototype.toString.call(actual) && isDeepStrictEqual(deserialize(serialize(expected)), deserialize(serialize(actual)));
  } catch {
    return false;
  }
}

export function assertTrue(condition: unknown, message: string): void {
  if (!condition) throw new Error(message);
}

export function assertThrows(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    if (pattern.test(String((error as Error).message))) return;
    throw new Error(`expected an error matching ${pattern}, got: ${(error as Error).message}`);
  }
  throw new Error(`expected an error matching ${pattern}, nothing was thrown`);
}

/** Thrown by a resume test's step in the first run, so that the harness resumes from it. */
export class ResumeFromHere extends Error {}

/** True in a run started by `flowkit resume`. */
export function isResumed(): boolean {
  return current.originRunId !== undefined;
}
