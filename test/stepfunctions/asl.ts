// asl-validator ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validateAsl = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

/** The definition passes asl-validator (the Amazon States Language's schema and its checks). */
export function expectValidAsl(definition: unknown): void {
  const { isValid, errors } = validateAsl(definition);
  expect({ isValid, errors }).toEqual({ isValid: true, errors: [] });
}
