import type { RunEvent, Sidecar } from '@flowkit/core/plugin';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { BasicTracerProvider, SpanExporter } from '@opentelemetry/sdk-trace-base';

type TaskEvent = Extract<RunEvent, { type: 'task-started' | 'task-finished' }>;
type RunFinished = Extract<RunEvent, { type: 'run-finished' }>;

/** An export's time limit unless OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT sets one: within the 5 s a sidecar has once the run ended. */
const EXPORT_TIMEOUT_MS = 4_000;

/** The SDK, required with a run's first event: every `flowkit` command loads this plugin, few runs export. */
function loadSdk() {
  return {
    api: require('@opentelemetry/api') as typeof import('@opentelemetry/api'),
    resources: require('@opentelemetry/resources') as typeof import('@opentelemetry/resources'),
    trace: require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base'),
  };
}

type Sdk = ReturnType<typeof loadSdk>;

/** OTLP/HTTP (JSON) to where OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT points, with OTEL_EXPORTER_OTLP_(TRACES_)HEADERS: the exporter reads them. */
function otlpExporter(): SpanExporter {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const timeoutSet = Boolean(process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT);
  return new OTLPTraceExporter(timeoutSet ? {} : { timeoutMillis: EXPORT_TIMEOUT_MS });
}

/** service.name `flowkit` and the flow; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override them. */
function runResource({ resources }: Sdk, flowName: string) {
  const own = resources.resourceFromAttributes({ 'service.name': 'flowkit', 'flowkit.flow': flowName });
  return resources.defaultResource().merge(own).merge(resources.detectResources({ detectors: [resources.envDetector] }));
}

export interface OpenTelemetrySidecarOptions {
  /** Makes each run's exporter (a run's provider shuts its exporter down); by default OTLP/HTTP, set up by the OTEL_* variables. */
  exporter?: () => SpanExporter;
}

/**
 * The `opentelemetry` monitor: each run it hears becomes one trace, a span for the run, one per step (from its first
 * task's start to its last task's end) and one per task attempt under its step. Times are the events', not the time
 * the sidecar heard them.
 */
export class OpenTelemetrySidecar implements Sidecar {
  readonly name = 'opentelemetry';
  readonly role = 'monitor';
  private sdk: Sdk | undefined;
  private readonly open = new Map<string, RunTrace>();
  /** The runs that ended, whose providers close() shuts down: that exports their last spans. */
  private readonly ended: RunTrace[] = [];

  constructor(private readonly options: OpenTelemetrySidecarOptions = {}) {}

  event(event: RunEvent): void {
    const key = `${event.flowName}/${event.runId}`;
    const run = this.open.get(key) ?? this.start(key, event);
    if (event.type === 'task-started') run.taskStarted(event);
    if (event.type === 'task-finished') run.taskFinished(event);
    if (event.type === 'run-finished') {
      run.finish(new Date(event.time), event);
      this.open.delete(key);
      this.ended.push(run);
    }
  }

  /** Ends the runs whose run-finished never came, then exports what is left; fails naming why spans were not exported. */
  async close(): Promise<void> {
    for (const run of this.open.values()) {
      run.finish(new Date());
      this.ended.push(run);
    }
    this.open.clear();
    const results = await Promise.allSettled(this.ended.splice(0).map((run) => run.provider.shutdown()));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw new Error(`spans not exported (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): ${reason(failed.reason)}`);
  }

  private start(key: string, first: RunEvent): RunTrace {
    const sdk = (this.sdk ??= loadSdk());
    const exporter = this.options.exporter?.() ?? otlpExporter();
    const provider = new sdk.trace.BasicTracerProvider({ resource: runResource(sdk, first.flowName), spanProcessors: [new sdk.trace.BatchSpanProcessor(exporter)] });
    const run = new RunTrace(sdk, provider, first);
    this.open.set(key, run);
    return run;
  }
}

/** A step's span and what its end needs: when its last task ended, and its tasks whose last attempt failed. */
interface StepSpan {
  span: Span;
  end: Date;
  failedTasks: Set<string>;
}

/** One run's spans. Events may be missing (dropped): a span is then started from what the next event says. */
class RunTrace {
  private readonly tracer: Tracer;
  private readonly run: Span;
  private readonly steps = new Map<string, StepSpan>();
  /** Open task attempts by `pathspec#attempt`. */
  private readonly attempts = new Map<string, { span: Span; stepName: string }>();

  constructor(
    private readonly sdk: Sdk,
    readonly provider: BasicTracerProvider,
    first: RunEvent,
  ) {
    this.tracer = provider.getTracer('@flowkit/monitor-opentelemetry');
    const attributes: Attributes = { 'flowkit.flow': first.flowName, 'flowkit.run_id': first.runId };
    if (first.type === 'run-started') Object.assign(attributes, { 'flowkit.user': first.user, 'flowkit.tags': first.tags }, first.originRunId === undefined ? {} : { 'flowkit.origin_run_id': first.originRunId });
    this.run = this.tracer.startSpan(`run ${first.flowName}/${first.runId}`, { startTime: startOf(first), attributes, root: true });
  }

  taskStarted(event: TaskEvent): void {
    this.attempts.set(attemptKey(event), { span: this.startAttempt(event, new Date(event.time)), stepName: event.stepName });
  }

  taskFinished(event: Extract<TaskEvent, { type: 'task-finished' }>): void {
    const key = attemptKey(event);
    const span = this.attempts.get(key)?.span ?? this.startAttempt(event, startOf(event));
    this.attempts.delete(key);
    const failedTasks = this.step(event, startOf(event)).failedTasks;
    if (event.status === 'failed') {
      span.setStatus({ code: this.sdk.api.SpanStatusCode.ERROR, message: event.cause ?? 'the attempt failed' });
      failedTasks.add(event.taskId);
    } else {
      failedTasks.delete(event.taskId);
    }
    this.endAttempt(event.stepName, span, new Date(event.time));
  }

  /** Ends every span still open at `end` (attempts whose task-finished never came), the steps, then the run. */
  finish(end: Date, finished?: RunFinished): void {
    for (const { span, stepName } of this.attempts.values()) this.endAttempt(stepName, span, end);
    this.attempts.clear();
    for (const { span, end: stepEnd, failedTasks } of this.steps.values()) {
      if (failedTasks.size > 0) span.setStatus({ code: this.sdk.api.SpanStatusCode.ERROR, message: `${failedTasks.size} task(s) failed` });
      span.end(stepEnd);
    }
    if (finished?.status === 'failed') this.run.setStatus({ code: this.sdk.api.SpanStatusCode.ERROR, message: finished.failure ?? 'the run failed' });
    this.run.end(end);
  }

  private startAttempt(event: TaskEvent, start: Date): Span {
    const parent = this.sdk.api.trace.setSpan(this.sdk.api.ROOT_CONTEXT, this.step(event, start).span);
    return this.tracer.startSpan(`${event.stepName}/${event.taskId}`, { startTime: start, attributes: taskAttributes(event) }, parent);
  }

  private endAttempt(stepName: string, span: Span, end: Date): void {
    span.end(end);
    const step = this.steps.get(stepName);
    if (step && end > step.end) step.end = end;
  }

  /** The step's span, started with its first task. */
  private step(event: TaskEvent, start: Date): StepSpan {
    let step = this.steps.get(event.stepName);
    if (!step) {
      const parent = this.sdk.api.trace.setSpan(this.sdk.api.ROOT_CONTEXT, this.run);
      const attributes = { 'flowkit.flow': event.flowName, 'flowkit.run_id': event.runId, 'flowkit.step': event.stepName };
      step = { span: this.tracer.startSpan(`step ${event.stepName}`, { startTime: start, attributes }, parent), end: start, failedTasks: new Set() };
      this.steps.set(event.stepName, step);
    }
    return step;
  }
}

function taskAttributes(event: TaskEvent): Attributes {
  return {
    'flowkit.flow': event.flowName,
    'flowkit.run_id': event.runId,
    'flowkit.step': event.stepName,
    'flowkit.task_id': event.taskId,
    'flowkit.attempt': event.attempt,
    'flowkit.pathspec': event.pathspec,
    ...(event.type === 'task-started' ? { 'flowkit.where': event.where } : {}),
  };
}

/** When what the event reports began: a finished task or run says how long it took. */
function startOf(event: RunEvent): Date {
  const time = Date.parse(event.time);
  return new Date(event.type === 'task-finished' || event.type === 'run-finished' ? time - event.durationMs : time);
}

function attemptKey(event: TaskEvent): string {
  return `${event.pathspec}#${event.attempt}`;
}

/** Why an export failed: the network error's message or code, an HTTP status; never the request (its headers carry keys). */
function reason(error: unknown): string {
  const { message, code } = (error ?? {}) as { message?: string; code?: unknown };
  if (typeof code === 'number') return `HTTP ${code}${message ? ` ${message}` : ''}`;
  return message || (typeof code === 'string' ? code : String(error));
}
