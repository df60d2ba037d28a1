import { FlowKitError, PathspecError } from './errors';
import { hasControlCharacters, printable } from './terminal';

/** The parts of a pathspec: `Flow/run/step/task`. */
export type PathspecKind = 'flow' | 'run' | 'step' | 'task';

const PATTERNS: Record<PathspecKind, RegExp> = {
  // Names starting with "_" are FlowKit's own at the datastore root (`_code/`).
  flow: /^[A-Za-z][A-Za-z0-9_]{0,127}$/,
  run: /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
  step: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
  task: /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
};

/**
 * Checks an id that came from outside (command line, client, metadata) before it becomes part of a
 * storage key, so no id can reach outside the datastore (`..`, `/`, NUL and friends are refused).
 */
export function validateId(kind: PathspecKind, value: string): string {
  if (typeof value !== 'string' || !PATTERNS[kind].test(value)) {
    throw new PathspecError(`Invalid ${kind} id ${JSON.stringify(value)}.`, {
      hint: `a ${kind} id is letters, digits${kind === 'run' || kind === 'task' ? ', "-"' : ''} and "_" (at most 128)${kind === 'flow' ? ', starting with a letter' : ''}`,
    });
  }
  return value;
}

/**
 * Checks a datastore key: `/`-separated, relative, without empty, `.` or `..` segments, NUL or
 * backslashes, so no key can name something outside the datastore's root on any backend.
 */
export function validateStorageKey(key: string, root: string): string {
  const segments = typeof key === 'string' ? key.split('/') : [''];
  if (key.includes('\0') || key.includes('\\') || key.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new PathspecError(`Refusing datastore key ${JSON.stringify(key)}: it is not a plain relative path inside ${root}.`);
  }
  return key;
}

/**
 * Checks user tags from outside (CLI, client, metadata service): 1 to 512 printable characters each. Tags are
 * shown to every user of a shared metadata service, so no control character (ESC, BEL, newline) gets in.
 */
export function validateTags(tags: string[]): string[] {
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.trim() === '' || tag.length > 512 || hasControlCharacters(tag)) {
      throw new FlowKitError(`Tag '${printable(String(tag).slice(0, 80))}' is not valid.`, { hint: 'a tag is 1 to 512 printable characters: no control characters such as ESC, BEL, tab or newline' });
    }
  }
  return tags;
}

export interface Pathspec {
  flow: string;
  run?: string;
  step?: string;
  task?: string;
}

const ORDER: PathspecKind[] = ['flow', 'run', 'step', 'task'];

/** Parses and validates `Flow[/run[/step[/task]]]`. */
export function parsePathspec(text: string): Pathspec {
  const parts = text.split('/');
  if (parts.length > ORDER.length) {
    throw new PathspecError(`Invalid pathspec ${JSON.stringify(text)}: too many parts.`, { hint: 'write Flow/run/step/task' });
  }
  const spec: Record<string, string> = {};
  parts.forEach((part, i) => {
    const kind = ORDER[i] as PathspecKind;
    spec[kind] = validateId(kind, part);
  });
  return spec as unknown as Pathspec;
}
