import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { REPO_ROOT, flowkit, project } from '../helpers/flowkit';

const SCHEMA = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'runtime', 'schema', 'run-events.schema.json'), 'utf8')) as object;

const FLOW = `
import { FlowSpec, catchError, current, retry, step, type Inputs } from '@flowkit/core';
export default class EventFlow extends FlowSpec {
  declare items: number[];
  declare failure: unknown;
  @retry({ times: 1 }) @step start() {
    if (current.retryCount === 0) throw new Error('the first attempt fails');
    this.items = [1, 2];
    this.next(this.body, { foreach: 'items' });
  }
  @step body() { this.next(this.join); }
  @step join(inputs: Inputs<EventFlow>) { this.mergeArtifacts(inputs); this.next(this.risky); }
  @catchError({ var: 'failure' }) @step risky() {
    if (this.items.length > 0) throw new Error('risky always fails');
    this.next(this.end);
  }
  @step end() {}
}`;

type Event = { type: string; pathspec?: string; stepName?: string; attempt?: number; status?: string; cause?: string; [field: string]: unknown };

describe('flowkit run --events', () => {
  test('writes one event per line, valid against the published schema and matching the recorded attempts', async () => {
    const { dir, root, env } = project({ 'events.ts': FLOW });
    const result = await flowkit(['run', 'events.ts', '--events', 'events.jsonl', '--tag', 'nightly'], { cwd: dir, env });
    expect([result.code, result.stderr.includes('Sidecar')]).toEqual([0, false]);
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Event);
    const ajv = new Ajv({ allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(SCHEMA);
    for (const event of events) expect([event, validate(event) ? [] : validate.errors]).toEqual([event, []]);

    expect(events[0]).toMatchObject({ type: 'run-started', flowName: 'EventFlow', runId: '1', user: 'tester', tags: ['nightly'] });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', runId: '1', status: 'succeeded' });
    const finished = events.filter((e) => e.type === 'task-finished');
    expect(events.filter((e) => e.type === 'task-started').map((e) => `${e.pathspec}#${e.attempt}`).sort()).toEqual(finished.map((e) => `${e.pathspec}#${e.attempt}`).sort());
    expect(finished.filter((e) => e.stepName === 'start').map((e) => [e.attempt, e.status])).toEqual([[0, 'failed'], [1, 'succeeded']]);
    expect(finished.find((e) => e.stepName === 'start' && e.status === 'failed')?.cause).toContain('the first attempt fails');
    // @catchError handles the error inside the attempt: it succeeds, the error kept as an artifact.
    expect(finished.filter((e) => e.stepName === 'risky').map((e) => [e.attempt, e.status])).toEqual([[0, 'succeeded']]);
    expect(finished.filter((e) => e.stepName === 'body')).toHaveLength(2);
    // Each event says what the records say.
    for (const event of finished) {
      const [flow, run, step, task] = (event.pathspec as string).split('/');
      const record = JSON.parse(readFileSync(join(root, flow as string, run as string, step as string, task as string, '_meta', `attempt_${event.attempt}.json`), 'utf8')) as { status: string };
      expect([event.pathspec, event.attempt, record.status]).toEqual([event.pathspec, event.attempt, event.status]);
    }
  });

  test('a sidecar that throws or never answers changes neither the outcome nor the events the others hear', async () => {
    const { dir, env } = project({ 'events.ts': FLOW });
    writeFileSync(
      join(dir, 'bad-sidecars.js'),
      `exports.plugin = { name: 'bad-sidecars', register(registry) {
        registry.addSidecar({ name: 'thrower', event() { throw new Error('sidecar boom'); } });
        registry.addSidecar({ name: 'stuck', event() { return new Promise(() => {}); } });
      } };`,
    );
    const result = await flowkit(['run', 'events.ts', '--events', 'events.jsonl'], { cwd: dir, env: { ...env, FLOWKIT_PLUGINS: join(dir, 'bad-sidecars.js') } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Done!');
    expect(result.stderr).toMatch(/Sidecar 'thrower' failed on \d+ event\(s\): sidecar boom/);
    expect(result.stderr).toContain("Sidecar 'stuck' did not finish within 5 s of the run's end; the run did not wait for it.");
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Event);
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', status: 'succeeded' });
  });

  test('an event logger or monitor hears only the runs that choose it, by option or setting; an unknown one is refused', async () => {
    const { dir, env } = project({ 'events.ts': FLOW });
    writeFileSync(
      join(dir, 'monitor.js'),
      `const { appendFileSync } = require('node:fs');
      exports.plugin = { name: 'file-monitor', register(registry) {
        registry.addSidecar({ name: 'file-monitor', role: 'monitor', event(event) { appendFileSync('monitored.jsonl', JSON.stringify(event) + '\\n'); } });
      } };`,
    );
    const withPlugin = { ...env, FLOWKIT_PLUGINS: join(dir, 'monitor.js') };
    const unchosen = await flowkit(['run', 'events.ts'], { cwd: dir, env: withPlugin });
    expect([unchosen.code, existsSync(join(dir, 'monitored.jsonl'))]).toEqual([0, false]);
    const chosen = await flowkit(['run', 'events.ts', '--monitor', 'file-monitor'], { cwd: dir, env: withPlugin });
    expect(chosen.code).toBe(0);
    const heard = readFileSync(join(dir, 'monitored.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Event);
    expect([heard[0]?.type, heard.at(-1)?.type, heard.at(-1)?.runId]).toEqual(['run-started', 'run-finished', '2']);
    const bySetting = await flowkit(['run', 'events.ts'], { cwd: dir, env: { ...withPlugin, FLOWKIT_MONITOR: 'file-monitor' } });
    expect(bySetting.code).toBe(0);
    expect(readFileSync(join(dir, 'monitored.jsonl'), 'utf8')).toContain('"runId":"3"');
    const unknown = await flowkit(['run', 'events.ts', '--monitor', 'nope'], { cwd: dir, env: withPlugin });
    // Known: every installed monitor (@flowkit/monitor-opentelemetry's too), this plugin's among them.
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(/^Unknown monitor 'nope' \(--monitor\)\.\n {2}hint: known: (\S+, )*file-monitor(, \S+)*; install the plugin package that provides it\n$/)]);
  });

  test('--events into a missing directory is refused before the run; a run refused before it starts leaves no file', async () => {
    const { dir, env } = project({ 'events.ts': FLOW });
    const missing = await flowkit(['run', 'events.ts', '--events', 'nowhere/events.jsonl'], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--events nowhere/events.jsonl: directory');
    const badTag = await flowkit(['run', 'events.ts', '--events', 'events.jsonl', '--tag', ''], { cwd: dir, env });
    expect(badTag.code).toBe(1);
    expect(existsSync(join(dir, 'events.jsonl'))).toBe(false);
  });
});
