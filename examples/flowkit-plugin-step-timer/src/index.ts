import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  PluginError,
  formatTable,
  loadConfig,
  makeStepDecorator,
  type CliExtension,
  type FlowKitPlugin,
  type RunEvent,
  type Sidecar,
  type StepDecorator,
} from '@flowkit/core/plugin';

/** The setting (an environment variable, or a key of the FlowKit profile) naming the file a run's timing report goes to. */
export const REPORT_SETTING = 'FLOWKIT_STEP_TIMER_REPORT';

/** `@timed()` on a step: the wall time of its code, in seconds, becomes the artifact `step_seconds` (or the one named). */
export const timed = makeStepDecorator<{ artifact?: string }>('timed');

const startedAt = new WeakMap<object, number>();

/** The decorator's hooks: the CLI calls validate before the run starts, the task process calls beforeStep and afterStep. */
const timedDecorator: StepDecorator = {
  name: 'timed',
  validate(attributes, step) {
    const artifact = attributes.artifact ?? 'step_seconds';
    if (typeof artifact !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(artifact)) {
      throw new PluginError(`@timed on step '${step.name}': artifact must be an identifier, not ${JSON.stringify(artifact)}.`, { hint: "e.g. @timed({ artifact: 'train_seconds' })" });
    }
    return { artifact };
  },
  beforeStep(context) {
    startedAt.set(context.flow, performance.now());
  },
  afterStep(context, outcome) {
    const started = startedAt.get(context.flow);
    // A failed step stores no artifacts; a handled failure (@catch) does, so it is timed too.
    if (!outcome.ok || started === undefined) return;
    (context.flow as unknown as Record<string, number>)[context.attributes.artifact as string] = (performance.now() - started) / 1000;
  },
};

export interface StepTiming {
  tasks: number;
  failed: number;
  totalMs: number;
  maxMs: number;
}

export interface TimingReport {
  flowName: string;
  runId: string;
  status: 'succeeded' | 'failed';
  durationMs: number;
  steps: Record<string, StepTiming>;
}

/** Hears every task finish; when the run ends, writes the report (whole or not at all) if the setting names a file. */
class TimingReportSidecar implements Sidecar {
  readonly name = 'step-timer';
  private steps: Record<string, StepTiming> = {};

  event(event: RunEvent): void {
    if (event.type === 'run-started') this.steps = {};
    if (event.type === 'task-finished') {
      const step = (this.steps[event.stepName] ??= { tasks: 0, failed: 0, totalMs: 0, maxMs: 0 });
      step.tasks += 1;
      if (event.status === 'failed') step.failed += 1;
      step.totalMs += event.durationMs;
      step.maxMs = Math.max(step.maxMs, event.durationMs);
    }
    if (event.type === 'run-finished') {
      const file = loadConfig().get(REPORT_SETTING);
      if (!file) return;
      const report: TimingReport = { flowName: event.flowName, runId: event.runId, status: event.status, durationMs: event.durationMs, steps: this.steps };
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, `${JSON.stringify(report, null, 2)}\n`);
      renameSync(partial, file);
    }
  }
}

function readReport(file: string): TimingReport {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TimingReport;
  } catch (error) {
    throw new PluginError(`Cannot read the timing report ${file}: ${(error as Error).message}`, { hint: `run a flow with ${REPORT_SETTING}=${file} first` });
  }
}

/** `flowkit step-timer show REPORT`: the report as a table, slowest step first. */
const stepTimerCli: CliExtension = {
  name: 'step-timer',
  register(cli) {
    cli.command(
      'step-timer',
      'Timing reports of runs (flowkit-plugin-step-timer)',
      (timer) =>
        timer
          .command('show <report>', 'Print a timing report, slowest step first', (show) => show.positional('report', { type: 'string', describe: `the file ${REPORT_SETTING} named` }), async (args) => {
            const report = readReport(String(args.report));
            const rows = Object.entries(report.steps).sort(([, a], [, b]) => b.totalMs - a.totalMs);
            const seconds = (ms: number) => (ms / 1000).toFixed(2);
            process.stdout.write(`${report.flowName}/${report.runId} ${report.status} in ${seconds(report.durationMs)} s\n`);
            const table = [['STEP', 'TASKS', 'FAILED', 'TOTAL S', 'MAX S'], ...rows.map(([name, s]) => [name, String(s.tasks), String(s.failed), seconds(s.totalMs), seconds(s.maxMs)])];
            process.stdout.write(`${formatTable(table)}\n`);
          })
          .demandCommand(1, 'name a step-timer command: show'),
    );
  },
};

/** What FlowKit loads: it finds this package by its name (flowkit-plugin-*) and `"flowkit": { "plugin": true }`. */
export const plugin: FlowKitPlugin = {
  name: 'flowkit-plugin-step-timer',
  register(registry) {
    registry.addStepDecorator(timedDecorator);
    registry.addSidecar(new TimingReportSidecar());
    registry.addCliExtension(stepTimerCli);
  },
};
