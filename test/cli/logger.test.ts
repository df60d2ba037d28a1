import { flowkit, project } from '../helpers/flowkit';

const FLOW = `
import { FlowSpec, current, retry, step } from '@flowkit/core';
export default class LoggingFlow extends FlowSpec {
  @retry({ times: 1 })
  @step start() {
    current.logger.info({ rows: 3 }, 'loaded');
    current.logger.debug('details');
    if (current.retryCount === 0) throw new Error('first attempt fails');
    this.next(this.end);
  }
  @step end() { console.log('plain output still works'); }
}`;

interface LogLine {
  level: number;
  time: string;
  msg: string;
  flow: string;
  run_id: string;
  step: string;
  task_id: string;
  attempt: number;
  rows?: number;
}

/** The JSON lines of a task's log (what `flowkit logs` prints after the `--- pathspec` line). */
function jsonLines(text: string): LogLine[] {
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
}

describe('current.logger', () => {
  test("writes JSON lines with the task's ids into its log, at FLOWKIT_LOG_LEVEL; a bad level fails the task naming it", async () => {
    const { dir, env } = project({ 'logging.ts': FLOW });
    const run = await flowkit(['run', 'logging.ts'], { cwd: dir, env });
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('plain output still works')]);
    const attempts = await Promise.all([0, 1].map((attempt) => flowkit(['logs', 'LoggingFlow', '1/start', '--attempt', String(attempt)], { cwd: dir, env })));
    const lines = attempts.flatMap((logs) => jsonLines(logs.stdout));
    expect(lines.map(({ time: _time, ...line }) => line)).toEqual([
      { level: 30, msg: 'loaded', rows: 3, flow: 'LoggingFlow', run_id: '1', step: 'start', task_id: '1', attempt: 0 },
      { level: 30, msg: 'loaded', rows: 3, flow: 'LoggingFlow', run_id: '1', step: 'start', task_id: '1', attempt: 1 },
    ]);
    expect(Number.isNaN(Date.parse(lines[0]?.time ?? ''))).toBe(false);

    const debug = await flowkit(['run', 'logging.ts'], { cwd: dir, env: { ...env, FLOWKIT_LOG_LEVEL: 'debug' } });
    expect(debug.code).toBe(0);
    expect(jsonLines((await flowkit(['logs', 'LoggingFlow', '2/start'], { cwd: dir, env })).stdout).map((line) => line.msg)).toEqual(['loaded', 'details']);

    const bad = await flowkit(['run', 'logging.ts'], { cwd: dir, env: { ...env, FLOWKIT_LOG_LEVEL: 'loud' } });
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('FLOWKIT_LOG_LEVEL=loud is not a log level.')]);
  });
});
