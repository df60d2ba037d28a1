import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, listFiles, project } from '../helpers/flowkit';

const FLOW = `
import { FlowSpec, step, type Inputs } from '@flowkit/core';
export default class DebugFlow extends FlowSpec {
  declare items: number[];
  declare doubled: number;
  declare total: number;
  @step start() { this.items = [1, 2]; this.next(this.body, { foreach: 'items' }); }
  @step body() { this.doubled = (this.input as number) * 2; this.next(this.join); }
  @step join(inputs: Inputs<DebugFlow>) { this.total = inputs.reduce((sum, input) => sum + input.doubled, 0); this.next(this.end); }
  @step end() { console.log('total', this.total); }
}`;

const SECRETS = { AWS_SECRET_ACCESS_KEY: 'fake-secret-value-123', FLOWKIT_SERVICE_AUTH_KEY: 'another-fake-key-456' };
const TOPICS = 'subcommand,datastore,metadata,sidecar,plugins';

/** Every file of the project (its datastore root included) as text, with its path. */
function projectFiles(dir: string): Array<[string, string]> {
  return listFiles(dir).map((file) => [file, readFileSync(join(dir, file), 'latin1')]);
}

/** What `flowkit logs` prints for the run, both streams: stdout, stderr and the tasks' logs of each. */
async function runLogs(dir: string, env: Record<string, string | undefined>): Promise<string> {
  const results = await Promise.all([flowkit(['logs', 'DebugFlow', '1'], { cwd: dir, env }), flowkit(['logs', 'DebugFlow', '1', '--stderr'], { cwd: dir, env })]);
  for (const result of results) expect([result.code, result.stderr]).toEqual([0, expect.not.stringContaining('Error')]);
  return results.map((result) => `${result.stdout}\n${result.stderr}`).join('\n');
}

describe('FLOWKIT_DEBUG', () => {
  test('prints each topic on stderr, the tasks their own lines into their logs, and never a secret anywhere', async () => {
    const { dir, env: projectEnv } = project({ 'debug_flow.ts': FLOW });
    const env = { ...projectEnv, ...SECRETS, FLOWKIT_DEBUG: TOPICS };
    // A secret in a task's command line: the subcommand line must show it redacted.
    const withSecret = `environment:vars={"DB_PASSWORD":"${SECRETS.AWS_SECRET_ACCESS_KEY}"}`;
    const run = await flowkit(['run', 'debug_flow.ts', '--with', withSecret, '--events', 'events.jsonl'], { cwd: dir, env });
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('total 6')]);

    expect(run.stderr).toMatch(/^\[flowkit debug subcommand\] pid \d+: \S+ \S+bundleLoader\.js \S+\.cjs step start --run-id 1 .*--with '.*"DB_PASSWORD":"\*\*\*".*'$/m);
    expect(run.stderr).toMatch(/^\[flowkit debug datastore\] putFile DebugFlow\/1\/start\/1\/0\.stdout\.log from \S+ \(\d+ ms\)$/m);
    // From inside the task, behind its prefix: with the bytes it stored.
    expect(run.stderr).toMatch(/\[1\/start\/1 \(pid \d+\)\] \[flowkit debug datastore\] put DebugFlow\/1\/start\/1\/0\.data\.json \d+ B \(\d+ ms\)$/m);
    expect(run.stderr).toMatch(/\[flowkit debug datastore\] put DebugFlow\/data\/[0-9a-f]{2}\/[0-9a-f]{64} \d+ B/);
    expect(run.stderr).toMatch(/^\[flowkit debug metadata\] newRun DebugFlow -> DebugFlow\/1 \(\d+ ms\)$/m);
    expect(run.stderr).toMatch(/^\[flowkit debug metadata\] newTask DebugFlow\/1\/body -> DebugFlow\/1\/body\/\d+ /m);
    expect(run.stderr).toMatch(/^\[flowkit debug sidecar\] task-started DebugFlow\/1\/start\/1 attempt 0 -> jsonl$/m);
    expect(run.stderr).toMatch(/^\[flowkit debug sidecar\] run-finished DebugFlow\/1 succeeded -> jsonl$/m);
    expect(run.stderr).toMatch(/^\[flowkit debug plugins\] loaded '@flowkit\/datastore-local' from \S+$/m);

    // The tasks' stderr logs keep their own lines.
    const logs = await runLogs(dir, env);
    expect(logs).toMatch(/^\[flowkit debug datastore\] put DebugFlow\/1\/end\/\d+\/0\.data\.json \d+ B/m);
    const places: Array<[string, string]> = [['run stdout', run.stdout], ['run stderr', run.stderr], ['flowkit logs', logs], ...projectFiles(dir)];
    for (const [place, text] of places) {
      for (const secret of Object.values(SECRETS)) expect([place, text.includes(secret)]).toEqual([place, false]);
    }
  });

  test('a run from warm processes shows the task arguments each one takes; `all` turns on every topic', async () => {
    const { dir, env } = project({ 'debug_flow.ts': FLOW });
    const run = await flowkit(['run', 'debug_flow.ts'], { cwd: dir, env: { ...env, FLOWKIT_DEBUG: 'all' } });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^\[flowkit debug subcommand\] pid \d+ \(warm: its task follows on stdin\): \S+ \S+bundleLoader\.js \S+\.cjs warm$/m);
    expect(run.stderr).toMatch(/^\[flowkit debug subcommand\] pid \d+ takes its task: step start --run-id 1 --task-id 1 --attempt 0 /m);
    for (const topic of TOPICS.split(',')) expect(run.stderr).toContain(`[flowkit debug ${topic}] `);
  });

  test('off by default: no debug line in the run, its logs or its files', async () => {
    const { dir, env: projectEnv } = project({ 'debug_flow.ts': FLOW });
    const env = { ...projectEnv, FLOWKIT_DEBUG: undefined };
    const run = await flowkit(['run', 'debug_flow.ts'], { cwd: dir, env });
    expect(run.code).toBe(0);
    // The code package is FlowKit's own source, which spells the prefix out.
    const runFiles = projectFiles(dir).filter(([file]) => !file.startsWith('.flowkit/_code/'));
    const places: Array<[string, string]> = [['run', run.stdout + run.stderr], ['flowkit logs', await runLogs(dir, env)], ...runFiles];
    for (const [place, text] of places) expect([place, text.includes('[flowkit debug')]).toEqual([place, false]);
  });

  test('an unknown topic gives one warning naming the known ones, and the run goes on', async () => {
    const { dir, env } = project({ 'debug_flow.ts': FLOW });
    const run = await flowkit(['run', 'debug_flow.ts'], { cwd: dir, env: { ...env, FLOWKIT_DEBUG: 'nonsense' } });
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('total 6')]);
    expect(run.stderr.split('\n').filter((line) => line.includes('FLOWKIT_DEBUG'))).toEqual([
      'FlowKit: ignoring unknown FLOWKIT_DEBUG topic(s) nonsense; known topics: subcommand, datastore, metadata, sidecar, plugins, all.',
    ]);
    expect(run.stderr).not.toContain('[flowkit debug');
  });
});
