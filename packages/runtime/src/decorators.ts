import { PluginError, type FlowSpec } from '@flowkit/core';
import { stepDecoratorsOf } from '@flowkit/core/internal';
import type { DecoratorSpec, FlowGraph, PluginRegistry, StepDecorator } from '@flowkit/core/plugin';

export interface ResolvedDecorator {
  decorator: StepDecorator;
  attributes: Record<string, unknown>;
}

/**
 * The decorators that apply to one step: those written on it, then run-time ones (`--with`) it does
 * not already have (the static one wins), each validated by its implementation.
 */
export function resolveStepDecorators(
  registry: PluginRegistry,
  flowClass: new () => FlowSpec,
  graph: FlowGraph,
  stepName: string,
  withSpecs: DecoratorSpec[],
): ResolvedDecorator[] {
  const step = graph.steps[stepName];
  if (!step) return [];
  const own = stepDecoratorsOf((flowClass.prototype as Record<string, unknown>)[stepName]);
  const extra = withSpecs.filter((spec) => !own.some((o) => o.name === spec.name));
  return [...own, ...extra].map(({ name, attributes }) => {
    const decorator = registry.stepDecorator(name);
    return { decorator, attributes: decorator.validate?.(attributes, step, graph) ?? attributes };
  });
}

/**
 * Parses `--with name:attr=value,attr=value`. Values are JSON when they parse as JSON, text otherwise;
 * commas inside braces, brackets or quotes belong to the value (`environment:vars={"A":"1","B":"2"}`).
 */
export function parseWithSpec(text: string): DecoratorSpec {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  if (!/^[a-z][a-z0-9_-]*$/i.test(name)) {
    throw new PluginError(`--with ${text}: '${name}' is not a decorator name.`, { hint: 'write --with name or --with name:attr=value,attr=value' });
  }
  const attributes: Record<string, unknown> = {};
  if (colon >= 0) {
    for (const pair of splitTopLevel(text.slice(colon + 1))) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new PluginError(`--with ${text}: attribute '${pair}' has no value.`, { hint: `write ${name}:attr=value` });
      attributes[pair.slice(0, eq).trim()] = parseValue(pair.slice(eq + 1).trim());
    }
  }
  return { name, attributes };
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && (c === '{' || c === '[')) depth++;
    else if (!quoted && (c === '}' || c === ']')) depth--;
    else if (!quoted && depth === 0 && c === ',') {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.trim() !== '');
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
