import type { MergeOptions } from '@flowkit/core/internal';
import { ArtifactError, MergeArtifactsError, type AttemptData, type FlowDataStore } from '@flowkit/core/plugin';
import type { ArtifactScope } from './artifacts';

/** A finished task this one reads from. */
export interface TaskInput {
  stepName: string;
  taskId: string;
  data: AttemptData;
}

/**
 * What a join receives as `inputs`: one read-only view per input task, in order, whose artifacts
 * load on first access; after a branch also reachable by step name (`inputs.a.x`).
 */
export function makeInputViews(store: FlowDataStore, inputs: TaskInput[], fixedValues: Map<string, unknown>): readonly object[] {
  const views = inputs.map((input) => makeView(store, input, fixedValues));
  inputs.forEach((input, i) => {
    if (!(input.stepName in Array.prototype) && !Object.prototype.hasOwnProperty.call(views, input.stepName)) {
      Object.defineProperty(views, input.stepName, { value: views[i], enumerable: false });
    }
  });
  return Object.freeze(views);
}

function makeView(store: FlowDataStore, input: TaskInput, fixedValues: Map<string, unknown>): object {
  const view = {};
  const readOnly = (name: string) => () => {
    throw new ArtifactError(`inputs are read-only: cannot set '${name}' on the input from step '${input.stepName}'.`, {
      hint: `assign to this.${name} in the join instead`,
    });
  };
  const define = (name: string, load: () => unknown, enumerable: boolean) => {
    let loaded = false;
    let value: unknown;
    Object.defineProperty(view, name, {
      enumerable,
      get: () => {
        if (!loaded) {
          value = load();
          loaded = true;
        }
        return value;
      },
      set: readOnly(name),
    });
  };
  for (const [name, ref] of Object.entries(input.data.artifacts)) {
    if (fixedValues.has(name)) define(name, () => fixedValues.get(name), false);
    else define(name, () => store.loadValueSync(ref), true);
  }
  const frame = input.data.foreachStack[input.data.foreachStack.length - 1];
  if (frame) {
    define('index', () => frame.index, false);
    define('input', () => store.loadValueSync(frame.input), false);
  }
  return Object.freeze(view);
}

/**
 * Metaflow's merge_artifacts: every artifact carried by the inputs that the join has not set is
 * merged when all inputs carrying it agree (by content hash); otherwise nothing is merged and the
 * error names each conflicting artifact and where its values came from.
 */
export function mergeInputs(scope: ArtifactScope, inputs: TaskInput[], fixedValues: Map<string, unknown>, options: MergeOptions): void {
  const carriers = new Map<string, TaskInput[]>();
  for (const input of inputs) {
    for (const name of Object.keys(input.data.artifacts)) {
      if (fixedValues.has(name)) continue;
      carriers.set(name, [...(carriers.get(name) ?? []), input]);
    }
  }
  // Excluding a name no input carries is harmless; including one is a mistake worth naming.
  const unknown = (options.include ?? []).filter((name) => !carriers.has(name));
  if (unknown.length > 0) {
    throw new MergeArtifactsError(`mergeArtifacts(): no input carries ${unknown.map((n) => `'${n}'`).join(', ')}.`, {}, `known artifacts: ${[...carriers.keys()].join(', ') || 'none'}`);
  }
  const candidates = options.include ?? [...carriers.keys()].filter((name) => !options.exclude?.includes(name));
  const conflicts: Record<string, string[]> = {};
  const merged: Array<[string, TaskInput]> = [];
  for (const name of candidates) {
    if (scope.has(name)) continue;
    const from = carriers.get(name) ?? [];
    const shas = new Set(from.map((input) => input.data.artifacts[name]?.sha));
    if (shas.size > 1) conflicts[name] = from.map((input) => `${input.stepName}/${input.taskId}`);
    else merged.push([name, from[0] as TaskInput]);
  }
  const names = Object.keys(conflicts);
  if (names.length > 0) {
    const detail = names.map((name) => `'${name}' (differs across ${conflicts[name]?.join(', ')})`).join('; ');
    throw new MergeArtifactsError(`mergeArtifacts() cannot merge ${names.length === 1 ? 'artifact' : 'artifacts'} ${detail}.`, conflicts,
      `set ${names.map((n) => `this.${n}`).join(', ')} in the join before merging (e.g. from inputs[0]), or pass { exclude: [${names.map((n) => `'${n}'`).join(', ')}] }`);
  }
  for (const [name, input] of merged) scope.inherit(name, input.data.artifacts[name]!);
}
