/**
 * Step Functions: how long `step-functions create --only-json` takes (lint, bundle, compile to ASL) for a 50-step
 * flow and for every conformance graph shape, beside `flowkit show` of the same file (the CLI's start, lint and
 * graph without the compiler); and a 100-way foreach run end to end through the Step Functions test server (the
 * ASL executed by aws-local-stepfunctions, every step a job of the Batch test server against s3rver and the metadata
 * service), beside the same flow run locally.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { combinations, writeFlow } from '@flowkit/testing';
import { startStepFunctionsStack } from '../../test/helpers/stepFunctionsStack';
import { median, type Row } from './stats';

export type Timed = (args: string[], env?: Record<string, string>) => Promise<{ seconds: number; code: number | null; output: string }>;

/** A linear flow of `length` steps. */
function linearFlow(length: number): string {
  const steps = Array.from({ length }, (_, i) => (i === 0 ? 'start' : i === length - 1 ? 'end' : `step${i}`));
  const methods = steps.map((name, i) => `  @step ${name}() { this.n = ${i}; ${i < length - 1 ? `this.next(this.${steps[i + 1]});` : ''} }`);
  return `import { FlowSpec, step } from '@flowkit/core';\nexport default class LongFlow extends FlowSpec {\n  declare n: number;\n${methods.join('\n')}\n}\n`;
}

/** Median seconds of `runs` calls after a warm-up (the first bundles the flow into the code cache). */
async function medianOf(flowkit: Timed, args: string[], env: Record<string, string>, runs: number): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const result = await flowkit(args, env);
    if (result.code !== 0) throw new Error(`flowkit ${args.join(' ')} exited ${result.code}: ${result.output}`);
    if (i > 0) seconds.push(result.seconds);
  }
  return median(seconds);
}

export async function benchStepFunctions(flowkit: Timed, fanoutFlow: string, workDir: string, runs: number, width = 100): Promise<Row[]> {
  const deployEnv = {
    FLOWKIT_DEFAULT_DATASTORE: 's3',
    FLOWKIT_DATASTORE_SYSROOT_S3: 's3://bench/sfn',
    FLOWKIT_DEFAULT_METADATA: 'service',
    FLOWKIT_SERVICE_URL: 'http://127.0.0.1:1',
    FLOWKIT_BATCH_JOB_QUEUE: 'bench',
    FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/bench',
    FLOWKIT_SFN_IAM_ROLE: 'arn:aws:iam::123456789012:role/bench-sfn',
  };
  const long = join(workDir, 'long_flow.ts');
  writeFileSync(long, linearFlow(50));
  const compileLong = await medianOf(flowkit, ['step-functions', 'create', long, '--only-json'], deployEnv, runs);
  const showLong = await medianOf(flowkit, ['show', long], deployEnv, runs);
  const shapes = combinations({ tests: ['basic_artifact'] }).map((combo) => writeFlow(combo, join(workDir, 'sfn-shapes', combo.graph.name)));
  const compileShapes: number[] = [];
  for (const file of shapes) compileShapes.push(await medianOf(flowkit, ['step-functions', 'create', file, '--only-json'], deployEnv, 1));

  const stack = await startStepFunctionsStack({ root: 's3://flowkit/bench-sfn', queue: 'bench', batch: { stateDelayMs: 20 } });
  try {
    const local = await flowkit(['run', fanoutFlow, '--width', String(width), '--max-num-splits', String(width)]);
    const created = await flowkit(['step-functions', 'create', fanoutFlow, '--max-num-splits', String(width), '--max-workers', '32'], stack.env);
    const started = process.hrtime.bigint();
    const triggered = await flowkit(['step-functions', 'trigger', fanoutFlow, '--width', String(width)], stack.env);
    for (const step of [local, created, triggered]) if (step.code !== 0) throw new Error(`fan-out on Step Functions failed: ${step.output}`);
    await Promise.all(stack.sfn.executions().map((execution) => execution.settled));
    const execution = stack.sfn.executions()[0];
    if (execution?.status !== 'SUCCEEDED') throw new Error(`the fan-out execution ended ${execution?.status}: ${execution?.error} ${execution?.cause}`);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return [
      {
        benchmark: '13. step-functions create --only-json (lint, bundle, compile)',
        result: `50 steps: ${(compileLong * 1000).toFixed(0)} ms; ${shapes.length} shapes: ${(Math.min(...compileShapes) * 1000).toFixed(0)}-${(Math.max(...compileShapes) * 1000).toFixed(0)} ms`,
        vsFloor: `flowkit show (50 steps): ${(showLong * 1000).toFixed(0)} ms`,
        target: '-',
        met: true,
        raw: { longSeconds: compileLong, showLongSeconds: showLong, shapeMinSeconds: Math.min(...compileShapes), shapeMaxSeconds: Math.max(...compileShapes) },
      },
      {
        benchmark: `14. fan-out ${width} on Step Functions (test server, Batch jobs), trigger to end`,
        result: `${seconds.toFixed(1)} s`,
        vsFloor: `local run: ${local.seconds.toFixed(1)} s (${(seconds / local.seconds).toFixed(1)}x)`,
        target: '-',
        met: true,
        raw: { seconds, localSeconds: local.seconds },
      },
    ];
  } finally {
    await stack.stop();
  }
}
