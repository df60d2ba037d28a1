import { FlowKitError } from '@flowkit/core';
import { clientContext } from './context';

let current: string | null | undefined;

/** A run is outside the namespace the client reads in. */
export class NamespaceError extends FlowKitError {}

/** Reads from now on see only runs tagged `ns` (`user:alice`, `project:x`), or every run with `null`. */
export function namespace(ns: string | null): string | null {
  current = ns;
  return ns;
}

/** The namespace in force: `user:<you>` unless namespace() chose another. */
export function getNamespace(): string | null {
  return current === undefined ? defaultNamespace() : current;
}

export function defaultNamespace(): string {
  return `user:${clientContext().user}`;
}

export function checkNamespace(pathspec: string, tags: string[]): void {
  const ns = getNamespace();
  if (ns !== null && !tags.includes(ns)) {
    throw new NamespaceError(`${pathspec} is not in namespace '${ns}'.`, { hint: "switch with namespace('user:<name>'), or read across all with namespace(null) (--namespace '' on the CLI)" });
  }
}
