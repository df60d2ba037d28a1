import { ConfigError, PluginError } from './errors';
import { printable } from './terminal';

/**
 * Checking a decorator's attributes, as they come from `@name({...})` in code or `--with name:key=value` (text),
 * with errors that name the decorator, the attribute and a fix. For the built-in decorators and plugins' alike.
 */
type Attributes = Record<string, unknown>;

/** A number attribute (text from `--with` is parsed), checked; `fallback` when absent. */
export function numberAttribute(decorator: string, attributes: Attributes, name: string, check: (n: number) => boolean, expected: string, fallback?: number): number | undefined {
  const value = attributes[name] ?? fallback;
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || !check(parsed)) {
    throw new PluginError(`@${decorator}: ${name}=${JSON.stringify(value)} is not valid; ${name} takes ${expected}.`, {
      hint: `e.g. @${decorator}({ ${name}: ${fallback ?? 1} }) or --with ${decorator}:${name}=${fallback ?? 1}`,
    });
  }
  return parsed;
}

/** A text attribute, non-empty, matching `pattern` when given; `fallback` when absent. */
export function stringAttribute(decorator: string, attributes: Attributes, name: string, fallback?: string, pattern?: RegExp): string | undefined {
  const value = attributes[name] ?? fallback;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || (pattern && !pattern.test(value))) {
    throw new PluginError(`@${decorator}: ${name}=${JSON.stringify(value)} is not valid; ${name} takes ${pattern ? `text matching ${pattern}` : 'non-empty text'}.`, {
      hint: `e.g. @${decorator}({ ${name}: '...' }) or --with ${decorator}:${name}=...`,
    });
  }
  return value;
}

export function refuseUnknown(decorator: string, attributes: Attributes, known: string[]): void {
  const unknown = Object.keys(attributes).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new PluginError(`@${decorator} has no attribute ${unknown.map((n) => `'${n}'`).join(', ')}.`, { hint: `its attributes: ${known.join(', ')}` });
  }
}

/** `{ vars: { NAME: 'value' } }`: environment variables, names and values checked. */
export function envVarsAttribute(decorator: string, attributes: Attributes): Record<string, string> {
  refuseUnknown(decorator, attributes, ['vars']);
  const vars = attributes.vars ?? {};
  if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) {
    throw new PluginError(`@${decorator}: vars must be an object of names to values.`, { hint: `e.g. @${decorator}({ vars: { MODE: 'fast' } })` });
  }
  for (const [name, value] of Object.entries(vars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || typeof value !== 'string') {
      throw new PluginError(`@${decorator}: ${name}=${JSON.stringify(value)} is not an environment variable.`, { hint: 'names are letters, digits and _, values are strings' });
    }
  }
  return vars as Record<string, string>;
}

/**
 * A numeric command-line option, checked; undefined when not given. Declare it without a yargs `type` (and with
 * `requiresArg`), so `--max-workers abc` arrives here as `abc`, named as given, rather than as NaN.
 */
export function numberOption(name: string, value: unknown, check: (n: number) => boolean, expected: string, example: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || !check(parsed)) {
    throw new ConfigError(`--${name} takes ${expected}, got '${printable(String(value))}'.`, { hint: `e.g. --${name} ${example}` });
  }
  return parsed;
}

export const integer = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;
export const positive = (n: number) => n > 0;

/** The stock Node image of the Node running the scheduler (`node:20`): tasks in containers run the same major. */
export function nodeImage(): string {
  return `node:${process.versions.node.split('.')[0]}`;
}

/**
 * Rows as aligned columns (two spaces apart), for `list` commands; the first row is the header. Every cell is
 * escaped: ids, users and tags may come from a shared service, written by any user.
 */
export function formatTable(cells: string[][]): string {
  const rows = cells.map((row) => row.map(printable));
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}
