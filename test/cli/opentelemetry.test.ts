import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, flowkit, project, runNode } from '../helpers/flowkit';

const FLOW = `
import { FlowSpec, step, type Inputs } from '@flowkit/core';
export default class TracedFlow extends FlowSpec {
  declare items: number[];
  declare squared: number;
  @step start() { this.items = [1, 2, 3]; this.next(this.square, { foreach: 'items' }); }
  @step square() { this.squared = (this.input as number) ** 2; this.next(this.join); }
  @step join(inputs: Inputs<TracedFlow>) { this.next(this.end); }
  @step end() {}
}`;

/** The API key a tracing service would take in a header: it reaches the collector and is never printed. */
const API_KEY = 'otlp-secret-key-4711';

/** An OTLP/JSON span as the exporter sends it, its attributes made a record. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
}

type OtlpAttribute = { key: string; value: Record<string, unknown> };
type OtlpRequest = { resourceSpans: Array<{ resource: { attributes: OtlpAttribute[] }; scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, 'attributes' | 'resource'> & { attributes: OtlpAttribute[] }> }> }> };

function record(attributes: OtlpAttribute[]): Record<string, unknown> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.arrayValue ?? value.boolValue]));
}

/** A collector on 127.0.0.1: takes OTLP/HTTP JSON at POST /v1/traces, keeps the spans and the requests' headers. */
async function collector(): Promise<{ url: string; spans: ReceivedSpan[]; headers: IncomingHttpHeaders[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') return void response.writeHead(404).end();
      headers.push(request.headers);
      for (const { resource, scopeSpans } of (JSON.parse(body) as OtlpRequest).resourceSpans) {
        for (const span of scopeSpans.flatMap((scope) => scope.spans)) spans.push({ ...span, attributes: record(span.attributes), resource: record(resource.attributes) });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, headers, server };
}

const stop = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('flowkit run --monitor opentelemetry', () => {
  test("a run is exported as one trace: the run's span, a span per step, a span per task under its step", async () => {
    const { dir, env } = project({ 'traced.ts': FLOW });
    const otlp = await collector();
    try {
      const result = await flowkit(['run', 'traced.ts', '--monitor', 'opentelemetry', '--events', 'events.jsonl', '--tag', 'nightly'], {
        cwd: dir,
        env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${API_KEY}` },
      });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(otlp.headers.map((headers) => [headers['x-api-key'], headers['content-type']])).toContainEqual([API_KEY, 'application/json']);

      const spans = otlp.spans;
      expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
      const run = spans.filter((span) => span.name === 'run TracedFlow/1');
      expect(run).toHaveLength(1);
      expect([run[0]?.parentSpanId || undefined, run[0]?.attributes, run[0]?.resource]).toEqual([
        undefined,
        { 'flowkit.flow': 'TracedFlow', 'flowkit.run_id': '1', 'flowkit.user': 'tester', 'flowkit.tags': { values: [{ stringValue: 'nightly' }] } },
        expect.objectContaining({ 'service.name': 'flowkit', 'flowkit.flow': 'TracedFlow' }),
      ]);
      const steps = new Map(spans.filter((span) => span.name.startsWith('step ')).map((span) => [span.attributes['flowkit.step'], span]));
      expect([...steps.keys()].sort()).toEqual(['end', 'join', 'square', 'start']);
      for (const step of steps.values()) expect([step.name, step.parentSpanId]).toEqual([step.name, run[0]?.spanId]);

      // One span per task attempt, as the run's events and records say.
      const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; pathspec: string; where: string });
      const taskEvents = events.filter((event) => event.type === 'task-started');
      const tasks = spans.filter((span) => 'flowkit.task_id' in span.attributes);
      expect(tasks.map((span) => span.attributes['flowkit.pathspec']).sort()).toEqual(taskEvents.map((event) => event.pathspec).sort());
      expect(tasks).toHaveLength(6);
      for (const task of tasks) {
        const [flow, runId, step, taskId] = (task.attributes['flowkit.pathspec'] as string).split('/');
        expect([task.name, task.parentSpanId, task.status.code ?? 0]).toEqual([`${step}/${taskId}`, steps.get(step)?.spanId, 0]);
        expect(task.attributes).toEqual({
          'flowkit.flow': flow,
          'flowkit.run_id': runId,
          'flowkit.step': step,
          'flowkit.task_id': taskId,
          'flowkit.attempt': 0,
          'flowkit.pathspec': task.attributes['flowkit.pathspec'],
          'flowkit.where': taskEvents.find((event) => event.pathspec === task.attributes['flowkit.pathspec'])?.where,
        });
      }
      expect(tasks.filter((task) => task.attributes['flowkit.step'] === 'square')).toHaveLength(3);
    } finally {
      await stop(otlp.server);
    }
  });

  test('without --monitor nothing is sent; with the collector down the run still succeeds, promptly, and says so', async () => {
    const { dir, env } = project({ 'traced.ts': FLOW });
    const otlp = await collector();
    const unchosen = await flowkit(['run', 'traced.ts'], { cwd: dir, env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url } });
    expect([unchosen.code, otlp.headers.length]).toEqual([0, 0]);
    // The port is closed now: connections to it are refused.
    await stop(otlp.server);

    const started = Date.now();
    const down = await flowkit(['run', 'traced.ts'], {
      cwd: dir,
      env: { ...env, FLOWKIT_MONITOR: 'opentelemetry', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${API_KEY}` },
    });
    const seconds = (Date.now() - started) / 1000;
    expect([down.code, down.stdout]).toEqual([0, expect.stringContaining('Done!')]);
    expect(down.stderr).toMatch(/Sidecar 'opentelemetry' failed to close: spans not exported \(OTEL_EXPORTER_OTLP_ENDPOINT .*\): .*ECONNREFUSED/);
    expect(`${down.stdout}${down.stderr}`).not.toContain(API_KEY);
    expect(seconds).toBeLessThan(15);
  });

  test('loading the plugin, as every flowkit command does, loads no OpenTelemetry module', async () => {
    const script = `require('@flowkit/monitor-opentelemetry'); console.log(Object.keys(require.cache).filter((path) => path.includes('@opentelemetry')).length);`;
    const result = await runNode(['-e', script], { cwd: REPO_ROOT });
    expect([result.code, result.stdout.trim()]).toEqual([0, '0']);
  });
});
