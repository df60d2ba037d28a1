import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGraph } from '@flowkit/graph';
import { loadGraphs, type GraphSpec } from '@flowkit/testing';
import type { LaunchPlan } from '@flowkit/core/plugin';
import type { State, StateMachineDefinition } from './asl';
import { TIMEOUT_BACKSTOP_SECONDS, compile } from './compiler';
import { BatchJobs, type Deployment } from './jobs';

// asl-validator ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validateAsl = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

/** A flow with the shape's steps and transitions and nothing else, as source the graph package reads. */
function flowSource(spec: GraphSpec): string {
  const vars = Object.values(spec.steps).flatMap((step) => (step.foreach ? [step.foreach.var] : []));
  const methods = Object.entries(spec.steps).map(([name, step]) => {
    const next = (step.next ?? []).map((target) => `this.${target}`);
    const body = step.foreach ? `this.${step.foreach.var} = [1, 2]; this.next(${next[0]}, { foreach: '${step.foreach.var}' });` : next.length > 0 ? `this.next(${next.join(', ')});` : '';
    return `  @step ${name}(${step.join ? 'inputs: unknown[]' : ''}) { ${body} }`;
  });
  return `import { FlowSpec, step } from '@flowkit/core';\nexport default class ShapeFlow extends FlowSpec {\n${vars.map((v) => `  declare ${v}: number[];`).join('\n')}\n${methods.join('\n')}\n}\n`;
}

const deployment = (flowName: string, plan: (step: string) => LaunchPlan): Deployment => ({
  flowName,
  user: 'tester',
  bootstrapArgs: ['https://bucket.example/code.js', 'ab'.repeat(32), '-'],
  env: () => ({ FLOWKIT_DEFAULT_DATASTORE: 's3' }),
  datastore: { name: 's3', root: 's3://bucket/prefix' },
  metadata: 'service',
  maxNumSplits: 100,
  tags: ['nightly'],
  job: () => ({ queue: 'queue', definition: 'flowkit-0123' }),
  plan,
  splitCountKey: (step) => ({ bucket: 'bucket', keyFormat: `prefix/${flowName}/{}/${step}/{}/splits.json` }),
});

/** Every state of a definition, nested ones included. */
function states(branch: { States: Record<string, State> }): Array<[string, State]> {
  return Object.entries(branch.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...('Branches' in state ? state.Branches.flatMap(states) : []),
    ...('ItemProcessor' in state ? states(state.ItemProcessor) : []),
  ]);
}

describe('compile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowkit-asl-'));
  const shapes = loadGraphs();
  const plain = (): LaunchPlan => ({ env: {}, userAttempts: 1, fallbackAttempt: false, retryDelaySeconds: 0, resources: {} });
  const decorated = (step: string): LaunchPlan => (step === 'start' ? plain() : { ...plain(), userAttempts: 3, fallbackAttempt: true, retryDelaySeconds: 120, timeoutSeconds: 30 });

  test.each(shapes.map((shape) => [shape.name, shape] as const))('%s compiles to valid ASL, plain and with @retry, @catch and @timeout', (_name, shape) => {
    const file = join(dir, `${shape.name}.ts`);
    writeFileSync(file, flowSource(shape));
    const { graph, issues } = loadGraph(file);
    expect(issues).toEqual([]);
    for (const plan of [plain, decorated]) {
      const definition: StateMachineDefinition = compile({ graph, plan, jobs: new BatchJobs(deployment(graph.flowName, plan)), parameters: { alpha: '1' }, maxWorkers: 4, workflowTimeoutSeconds: 3600 });
      const { isValid, errors } = validateAsl(definition);
      expect({ isValid, errors }).toEqual({ isValid: true, errors: [] });

      const all = states(definition);
      const jobs = all.filter(([, state]) => state.Type === 'Task' && state.Resource.endsWith('batch:submitJob.sync'));
      const steps = Object.keys(graph.steps);
      const fallbacks = plan === decorated ? steps.length - 1 : 0;
      // Each step once (its fallback once more), plus init and the failure record.
      expect(jobs.map(([name]) => name).sort()).toEqual([...steps, ...steps.filter((s) => plan(s).fallbackAttempt).map((s) => `${s} (fallback)`), 'init', 'Record failure'].sort());
      expect(jobs.length).toBe(steps.length + fallbacks + 2);
      const maps = all.filter(([, state]) => state.Type === 'Map');
      expect(maps.map(([name]) => name).sort()).toEqual(Object.values(graph.steps).filter((s) => s.foreach !== undefined).map((s) => `${s.name} (foreach)`).sort());
      expect(maps.every(([, state]) => state.Type === 'Map' && state.MaxConcurrency === 4)).toBe(true);
      expect(all.filter(([, state]) => state.Type === 'Parallel').length).toBe(1 + Object.values(graph.steps).filter((s) => s.type === 'split-and').length);
      if (plan === decorated) {
        const [, work] = jobs.find(([name]) => name === steps.find((s) => s !== 'start')) as [string, State];
        // The job keeps the @timeout itself (its bootstrap is given it); the state and Batch stop it later, as backstops.
        expect(work).toMatchObject({
          TimeoutSeconds: 30 + TIMEOUT_BACKSTOP_SECONDS,
          Parameters: { ContainerOverrides: { Environment: expect.arrayContaining([{ Name: 'FLOWKIT_TASK_TIMEOUT_SECONDS', Value: '30' }]) }, Timeout: { AttemptDurationSeconds: 30 + TIMEOUT_BACKSTOP_SECONDS } },
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2, IntervalSeconds: 120 }],
          Catch: [{ ErrorEquals: ['States.ALL'] }],
        });
        // The fallback runs no user code: no timeout of its own.
        const [, fallback] = jobs.find(([name]) => name === `${steps.find((s) => s !== 'start')} (fallback)`) as [string, State];
        expect(JSON.stringify(fallback)).not.toMatch(/Timeout|FLOWKIT_TASK_TIMEOUT_SECONDS/);
      }
    }
  });

  test('only ids travel: a task gets its run id, foreach indices and attempt as Batch parameters, never values', () => {
    const file = join(dir, 'nested-foreach.ts');
    writeFileSync(file, flowSource(shapes.find((s) => s.name === 'nested-foreach') as GraphSpec));
    const { graph } = loadGraph(file);
    const definition = compile({ graph, plan: plain, jobs: new BatchJobs(deployment(graph.flowName, plain)), parameters: {} });
    const [outer, ...inner] = states(definition).flatMap(([, state]) => (state.Type === 'Map' ? [state.ItemSelector] : []));
    const taskId = "States.Format('{}-{}', $.taskId, $$.Map.Item.Value)";
    expect(outer).toEqual({ 'runId.$': '$.runId', 'indices.$': "States.Format('{}', $$.Map.Item.Value)", 'taskId.$': taskId });
    expect(inner.length).toBeGreaterThan(0);
    for (const selector of inner) expect(selector).toEqual({ 'runId.$': '$.runId', 'indices.$': "States.Format('{},{}', $.indices, $$.Map.Item.Value)", 'taskId.$': taskId });
    const [, start] = states(definition).find(([name]) => name === 'start') as [string, State];
    expect(start).toMatchObject({ Parameters: { Parameters: { 'runId.$': '$.runId', 'indices.$': '$.indices', 'attempt.$': "States.Format('{}', $$.State.RetryCount)" } } });
  });
});
