import { isDeepStrictEqual, inspect } from 'node:util';

/** Assertions usable inside generated flows' steps and in checkResults. */
export function assertEquals(expected: unknown, actual: unknown, what = 'value'): void {
  if (!isDeepStrictEqual(expected, actual)) {
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
