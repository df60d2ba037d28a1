import { badRequest } from './status';
import type { KubeObject } from './types';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

/** A parsed `labelSelector`: equality (`a=b`, `a==b`, `a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`). */
export class LabelSelector {
  private constructor(private readonly requirements: Requirement[]) {}

  static parse(text: string | null | undefined): LabelSelector {
    if (!text) return new LabelSelector([]);
    return new LabelSelector(splitTopLevel(text).map(parseRequirement));
  }

  matches(labels: Record<string, string> | undefined): boolean {
    const have = labels ?? {};
    return this.requirements.every((r) => {
      const value = Object.prototype.hasOwnProperty.call(have, r.key) ? have[r.key] : undefined;
      switch (r.op) {
        case 'exists':
          return value !== undefined;
        case '!exists':
          return value === undefined;
        case 'in':
          return value !== undefined && r.values.includes(value);
        case 'notin':
          return value === undefined || !r.values.includes(value);
      }
    });
  }
}

/** Commas separate requirements except inside the parentheses of a set. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function parseRequirement(text: string): Requirement {
  const fail = () => badRequest(`unable to parse requirement: found '${text}', expected: label selector requirement`);
  if (text === '') throw fail();
  const set = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(text);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => v.trim());
    return { key: set[1] as string, op: set[2] as 'in' | 'notin', values };
  }
  const equality = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(text);
  if (equality) {
    const value = equality[3] ?? '';
    return { key: equality[1] as string, op: equality[2] === '!=' ? 'notin' : 'in', values: [value] };
  }
  const exists = /^(!?)\s*([^\s!=(),]+)$/.exec(text);
  if (exists) return { key: exists[2] as string, op: exists[1] ? '!exists' : 'exists' };
  throw fail();
}

/** Fields a `fieldSelector` may name, per resource, as the apiserver allows them. */
const FIELDS: Record<string, (o: KubeObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'status.phase': (o) => (o.status as { phase?: string } | undefined)?.phase,
  'spec.nodeName': (o) => (o.spec as { nodeName?: string } | undefined)?.nodeName,
  'status.successful': (o) => String((o.status as { succeeded?: number } | undefined)?.succeeded ?? 0),
};

const FIELDS_BY_KIND: Record<string, string[]> = {
  Pod: ['metadata.name', 'metadata.namespace', 'status.phase', 'spec.nodeName'],
  Job: ['metadata.name', 'metadata.namespace', 'status.successful'],
  Secret: ['metadata.name', 'metadata.namespace'],
  Namespace: ['metadata.name'],
};

/** A parsed `fieldSelector` (`a=b`, `a==b`, `a!=b`, comma-separated) for one kind of object. */
export class FieldSelector {
  private constructor(private readonly terms: { field: string; value: string; negate: boolean }[]) {}

  static parse(text: string | null | undefined, kind: string): FieldSelector {
    if (!text) return new FieldSelector([]);
    const allowed = FIELDS_BY_KIND[kind] ?? [];
    const terms = text.split(',').map((term) => {
      const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
      if (!m) throw badRequest(`invalid field selector: '${term}'`);
      const field = m[1] as string;
      if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`);
      return { field, value: m[3] ?? '', negate: m[2] === '!=' };
    });
    return new FieldSelector(terms);
  }

  matches(object: KubeObject): boolean {
    return this.terms.every((t) => ((FIELDS[t.field]?.(object) ?? '') === t.value) !== t.negate);
  }
}
