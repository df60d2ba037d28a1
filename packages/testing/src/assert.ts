import { isDeepStrictEqual, inspect } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { current } from '@flowkit/core';

/** Assertions usable inside generated flows' steps and in checkResults. */
export function assertEquals(expected: unknown, actual: unknown, what = 'value'): void {
  if (!isDeepStrictEqual(expected, actual) && !isDeepStrictEqual(sameRealm(expected), sameRealm(actual))) {
    throw new Error(`${what}: expected ${inspect(expected, { depth: 4 })}, got ${inspect(actual, { depth: 4 })}`);
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

/**
 * A copy made by v8 itself, so values from different realms compare alike: under jest, an array the client
 * deserialized and an array the test built have different Array prototypes.
 */
function sameRealm(value: unknown): unknown {
  try {
    return deserialize(serialize(value));
  } catch {
    return value;
  }
}
