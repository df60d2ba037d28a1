import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project } from './flowkit';

/**
 * What the compute plugins' end-to-end tests share (test/batch, test/kube): the same two flows with the plugin's
 * decorator, and the same ways to run them and read what they stored.
 */
export interface ComputePlugin {
  /** The decorator, as imported: `batch`, `kubernetes`. */
  decorator: string;
  module: string;
  /** A variable only the backend's containers have, to tell where a task ran. */
  remoteVariable: string;
  /** Class name of the square flow. */
  flowName: string;
}

/** A foreach of squares whose `square` step runs remotely; `where` says where each task ran. */
export function squareFlow(plugin: ComputePlugin): string {
  return `
import { FlowSpec, Parameter, step, type Inputs } from '@flowkit/core';
import { ${plugin.decorator} } from '${plugin.module}';

export default class ${plugin.flowName} extends FlowSpec {
  count = Parameter('count', { default: 3 });
  declare items: number[];
  declare squared: number;
  declare where: string;
  declare total: number;

  @step start() {
    this.items = Array.from({ length: this.count }, (_, i) => i + 1);
    this.next(this.square, { foreach: 'items' });
  }
  @${plugin.decorator}({ memory: 2048 }) @step square() {
    this.squared = (this.input as number) ** 2;
    this.where = process.env.${plugin.remoteVariable} ? 'remote' : 'local';
    console.log('squared', this.squared, 'secret', process.env.HOST_SECRET_SENTINEL ?? 'none');
    this.next(this.join);
  }
  @step join(inputs: Inputs<${plugin.flowName}>) {
    this.total = inputs.reduce((sum, input) => sum + input.squared, 0);
    this.mergeArtifacts(inputs, { exclude: ['squared', 'where'] });
    this.next(this.end);
  }
  @step end() {
    console.log('total', this.total);
  }
}
`;
}

/**
 * A remote step that says what it got of a secret setting (the sha256 of FLOWKIT_SERVICE_AUTH_KEY, never its
 * value) and of host-bound ones (the S3 cache directory, FLOWKIT_HOME).
 */
export function secretFlow(plugin: ComputePlugin): string {
  return `
import { createHash } from 'node:crypto';
import { FlowSpec, step } from '@flowkit/core';
import { ${plugin.decorator} } from '${plugin.module}';

export default class SecretFlow extends FlowSpec {
  @${plugin.decorator}() @step start() {
    const key = process.env.FLOWKIT_SERVICE_AUTH_KEY;
    console.log('key', key === undefined ? 'unset' : createHash('sha256').update(key).digest('hex'), 'cache', process.env.FLOWKIT_S3_CACHE_DIR ?? 'unset', 'home', process.env.FLOWKIT_HOME ?? 'unset');
    this.next(this.end);
  }
  @step end() {}
}
`;
}

/** Faults on a remote step, by `--mode`: a retry, a step that always fails (caught), a long nap, many lines. */
export function faultFlow(plugin: ComputePlugin): string {
  return `
import { FlowSpec, Parameter, catchError, current, retry, step } from '@flowkit/core';
import { ${plugin.decorator} } from '${plugin.module}';

export default class FaultFlow extends FlowSpec {
  mode = Parameter('mode', { default: 'retry' });
  declare failure: unknown;
  declare value: number;

  @step start() {
    this.next(this.work);
  }
  @catchError({ var: 'failure' }) @retry({ times: 1 }) @${plugin.decorator} @step async work() {
    console.log('attempt', current.retryCount, 'mode', this.mode);
    if (this.mode === 'retry' && current.retryCount === 0) throw new Error('the first attempt fails');
    if (this.mode === 'fail') throw new Error('every attempt fails');
    // A resumed run does not nap again.
    if (this.mode === 'nap' && current.originRunId === undefined) await new Promise((resolve) => setTimeout(resolve, 120000));
    if (this.mode === 'lines') {
      for (let i = 0; i < 40; i++) {
        console.log('line', i);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    this.value = 42;
    this.next(this.end);
  }
  @step end() {
    console.log('value', this.value, 'failure', this.failure ? 'caught' : 'none');
  }
}
`;
}

/** A project holding both flows (`square_flow.ts`, `fault_flow.ts`), run with `env()` as it is when called. */
export function computeProject(plugin: ComputePlugin, env: () => Record<string, string>) {
  const files = project({ 'square_flow.ts': squareFlow(plugin), 'fault_flow.ts': faultFlow(plugin), 'secret_flow.ts': secretFlow(plugin) });
  const { dir, root } = files;

  async function dump(runId: string, step: string, flow = plugin.flowName): Promise<Record<string, Record<string, unknown>>> {
    const file = join(dir, `${flow}-${runId}-${step}.json`);
    const result = await flowkit(['dump', flow, `${runId}/${step}`, '--file', file], { cwd: dir, env: env() });
    expect(result.stderr).toBe('');
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  }

  return {
    ...files,
    dump,
    async run(file: string, args: string[], extraEnv: Record<string, string> = {}) {
      const result = await flowkit(['run', file, '--run-id-file', 'run-id', ...args], { cwd: dir, env: { ...env(), ...extraEnv } });
      return { ...result, runId: readFileSync(join(dir, 'run-id'), 'utf8').trim() };
    },
    /** Each task's artifacts but where it ran, in task order. */
    async artifacts(runId: string): Promise<unknown[]> {
      const steps = await Promise.all(['start', 'square', 'join', 'end'].map((step) => dump(runId, step)));
      return steps.flatMap((tasks) => Object.values(tasks).map(({ where: _where, ...rest }) => rest));
    },
    /** The local record of one attempt of FaultFlow's task in a step. */
    attemptRecord(runId: string, step: string, attempt: number): { status: string; error?: string } {
      const stepDir = join(root, 'FaultFlow', runId, step);
      const [task] = readdirSync(stepDir).filter((name) => /^\d+$/.test(name));
      return JSON.parse(readFileSync(join(stepDir, task as string, '_meta', `attempt_${attempt}.json`), 'utf8')) as { status: string; error?: string };
    },
  };
}

/** Polls until `find` returns something (a minute at most). */
export async function eventually<T>(find: () => T | undefined): Promise<T> {
  for (let waited = 0; waited < 60000; waited += 50) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('gave up waiting');
}
