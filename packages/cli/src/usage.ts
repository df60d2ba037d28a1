import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FlowKitError } from '@flowkit/core';
import { integer, numberOption } from '@flowkit/core/plugin';

/** The command line itself is wrong: unknown option, bad value, missing argument. */
export class UsageError extends FlowKitError {}

/** A whole-number option from 1 (`--max-workers`). */
export function positiveInteger(name: string, value: unknown): number {
  return numberOption(name, value, integer(1, Number.MAX_SAFE_INTEGER), 'a whole number from 1', 8) as number;
}

/** `--package-suffixes .csv,.json`: each suffix with its dot, as file names end (`*` or `csv` are refused). */
export function packageSuffixes(text: string): string[] {
  const suffixes = text.split(',').map((suffix) => suffix.trim());
  const bad = suffixes.find((suffix) => !/^\.[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(suffix));
  if (bad !== undefined) {
    throw new UsageError(`--package-suffixes ${text}: '${bad}' is not a file name suffix.`, { hint: 'give suffixes with their dot, comma-separated, e.g. --package-suffixes .csv,.json' });
  }
  return suffixes;
}

export { backendOptions, readOptions } from '@flowkit/core/plugin';

/** Refuses a file option (`dump --file`, `run --run-id-file`) whose file cannot be written, before any work is done. */
export function checkOutputFile(option: string, file: string): string {
  const dir = dirname(resolve(file));
  const problem = !statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? `directory ${dir} does not exist` : statSync(file, { throwIfNoEntry: false })?.isDirectory() ? `${file} is a directory` : undefined;
  if (problem) throw new UsageError(`--${option} ${file}: ${problem}.`, { hint: `give --${option} a file in an existing directory` });
  return file;
}
