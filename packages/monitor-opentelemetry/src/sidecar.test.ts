import { RUN_EVENT_SCHEMA, type RunEvent } from '@flowkit/core/plugin';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetrySidecar } from './sidecar';

/** Keeps its spans through the provider's shutdown, which close() does. */
class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const ms = (time: ReadableSpan['startTime']) => time[0] * 1000 + time[1] / 1e6;
const RUN = { flowName: 'ForeachFlow', runId: '7' };

function task(step: string, taskId: string, attempt = 0) {
  return { ...RUN, stepName: step, taskId, pathspec: `ForeachFlow/7/${step}/${taskId}`, attempt };
}
const started = (seconds: number, ids: ReturnType<typeof task>): RunEvent => ({ schema: RUN_EVENT_SCHEMA, time: at(seconds), type: 'task-started', where: `pid ${1000 + Number(ids.taskId)}`, ...ids });
const finished = (seconds: number, ids: ReturnType<typeof task>, durationMs: number, cause?: string): RunEvent => ({
  schema: RUN_EVENT_SCHEMA,
  time: at(seconds),
  type: 'task-finished',
  status: cause === undefined ? 'succeeded' : 'failed',
  durationMs,
  ...(cause === undefined ? {} : { cause }),
  ...ids,
});

/** start, a foreach of 3 body tasks (task 3 fails once, then its retry succeeds), join, end. */
const FOREACH_RUN: RunEvent[] = [
  { schema: RUN_EVENT_SCHEMA, time: at(0), type: 'run-started', ...RUN, user: 'tester', tags: ['nightly'] },
  started(0.1, task('start', '1')),
  finished(1, task('start', '1'), 900),
  started(1.1, task('body', '2')),
  started(1.1, task('body', '3')),
  started(1.2, task('body', '4')),
  finished(2, task('body', '2'), 900),
  finished(2.1, task('body', '3'), 1000, 'Error: flaky'),
  started(2.2, task('body', '3', 1)),
  finished(2.5, task('body', '4'), 1300),
  finished(3, task('body', '3', 1), 800),
  started(3.1, task('join', '5')),
  finished(3.5, task('join', '5'), 400),
  started(3.6, task('end', '6')),
  finished(4, task('end', '6'), 400),
  { schema: RUN_EVENT_SCHEMA, time: at(4.1), type: 'run-finished', ...RUN, status: 'succeeded', durationMs: 4100 },
];

/** Feeds the events as the runtime does (one at a time, in order), closes, returns the exported spans. */
async function trace(events: RunEvent[]): Promise<ReadableSpan[]> {
  const exporter = new KeptSpans();
  const sidecar = new OpenTelemetrySidecar({ exporter: () => exporter });
  for (const event of events) await sidecar.event(event);
  await sidecar.close();
  return exporter.getFinishedSpans();
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const only = (spans: ReadableSpan[], name: string) => {
  const [span, ...others] = named(spans, name);
  expect([name, others.length]).toEqual([name, 0]);
  return span as ReadableSpan;
};

describe('OpenTelemetrySidecar', () => {
  test('a run is one trace: the run span, a span per step under it, a span per task attempt under its step', async () => {
    const spans = await trace(FOREACH_RUN);
    expect(spans.map((span) => span.name).sort()).toEqual(['body/2', 'body/3', 'body/3', 'body/4', 'end/6', 'join/5', 'run ForeachFlow/7', 'start/1', 'step body', 'step end', 'step join', 'step start']);
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);

    const run = only(spans, 'run ForeachFlow/7');
    expect(run.parentSpanContext).toBeUndefined();
    expect([ms(run.startTime), ms(run.endTime)]).toEqual([T0, T0 + 4100]);
    expect(run.attributes).toEqual({ 'flowkit.flow': 'ForeachFlow', 'flowkit.run_id': '7', 'flowkit.user': 'tester', 'flowkit.tags': ['nightly'] });
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(run.resource.attributes).toMatchObject({ 'service.name': 'flowkit', 'flowkit.flow': 'ForeachFlow' });

    const steps = spans.filter((span) => span.name.startsWith('step '));
    for (const step of steps) expect([step.name, step.parentSpanContext?.spanId]).toEqual([step.name, run.spanContext().spanId]);
    // A step lasts from its first task's start to its last task's end; the failed attempt was retried successfully.
    const body = only(spans, 'step body');
    expect([ms(body.startTime), ms(body.endTime), body.status.code]).toEqual([T0 + 1100, T0 + 3000, SpanStatusCode.UNSET]);
    expect(body.attributes).toEqual({ 'flowkit.flow': 'ForeachFlow', 'flowkit.run_id': '7', 'flowkit.step': 'body' });

    const attempts = spans.filter((span) => !span.name.startsWith('step ') && span !== run);
    for (const attempt of attempts) {
      const step = only(spans, `step ${attempt.attributes['flowkit.step'] as string}`);
      expect([attempt.name, attempt.parentSpanContext?.spanId]).toEqual([attempt.name, step.spanContext().spanId]);
    }
    const [failed, retried] = named(spans, 'body/3').sort((a, b) => (a.attributes['flowkit.attempt'] as number) - (b.attributes['flowkit.attempt'] as number));
    expect(failed?.attributes).toEqual({
      'flowkit.flow': 'ForeachFlow',
      'flowkit.run_id': '7',
      'flowkit.step': 'body',
      'flowkit.task_id': '3',
      'flowkit.attempt': 0,
      'flowkit.pathspec': 'ForeachFlow/7/body/3',
      'flowkit.where': 'pid 1003',
    });
    expect([failed?.status, ms(failed!.startTime), ms(failed!.endTime)]).toEqual([{ code: SpanStatusCode.ERROR, message: 'Error: flaky' }, T0 + 1100, T0 + 2100]);
    expect([retried?.attributes['flowkit.attempt'], retried?.status.code, ms(retried!.startTime), ms(retried!.endTime)]).toEqual([1, SpanStatusCode.UNSET, T0 + 2200, T0 + 3000]);
  });

  test('events out of order or missing never throw: a span is started from what the next event says, open ones end with the run', async () => {
    const spans = await trace([
      // No run-started, no task-started of start/1 (dropped).
      finished(1, task('start', '1'), 900),
      started(1.1, task('body', '2')),
      started(1.1, task('body', '3')),
      finished(2, task('body', '3'), 900, 'Error: boom'),
      // body/2 never finishes: the run's end ends it.
      { schema: RUN_EVENT_SCHEMA, time: at(5), type: 'run-finished', ...RUN, status: 'failed', durationMs: 5000, failure: "step 'body' failed" },
    ]);
    expect(spans.map((span) => span.name).sort()).toEqual(['body/2', 'body/3', 'run ForeachFlow/7', 'start/1', 'step body', 'step start']);
    const run = only(spans, 'run ForeachFlow/7');
    // Started with the first event heard: start/1's start, which its duration tells.
    expect([ms(run.startTime), ms(run.endTime), run.status]).toEqual([T0 + 100, T0 + 5000, { code: SpanStatusCode.ERROR, message: "step 'body' failed" }]);
    const start = only(spans, 'start/1');
    expect([ms(start.startTime), ms(start.endTime), start.attributes['flowkit.where']]).toEqual([T0 + 100, T0 + 1000, undefined]);
    expect(ms(only(spans, 'body/2').endTime)).toBe(T0 + 5000);
    const body = only(spans, 'step body');
    expect([ms(body.endTime), body.status]).toEqual([T0 + 5000, { code: SpanStatusCode.ERROR, message: '1 task(s) failed' }]);
  });

  test('a run whose run-finished never came is ended and exported by close()', async () => {
    const spans = await trace(FOREACH_RUN.slice(0, 3));
    expect(spans.map((span) => span.name).sort()).toEqual(['run ForeachFlow/7', 'start/1', 'step start']);
  });

  test('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the resource', async () => {
    process.env.OTEL_SERVICE_NAME = 'pipelines';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=staging';
    try {
      const [span] = await trace(FOREACH_RUN.slice(0, 1));
      expect(span?.resource.attributes).toMatchObject({ 'service.name': 'pipelines', 'deployment.environment.name': 'staging', 'flowkit.flow': 'ForeachFlow' });
    } finally {
      delete process.env.OTEL_SERVICE_NAME;
      delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    }
  });
});
