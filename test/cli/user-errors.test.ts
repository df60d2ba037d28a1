import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project } from '../helpers/flowkit';

const STACK = /^\s+at /m;

const FLOW = `
import { FlowSpec, step } from '@flowkit/core';
export default class OkFlow extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() {}
}`;

const THROWS = `import { FlowSpec, step } from '@flowkit/core';
const settings: Record<string, string> = {};
if (!settings.region) throw new RangeError('no region configured');
export default class ThrowsFlow extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() {}
}`;

/** One line saying what is wrong, one hint line, exit 1, no stack. */
function expectOneLineError(result: { code: number | null; stderr: string }, message: string | RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/^[^\n]+\n  hint: [^\n]+\n$/);
  expect(result.stderr).not.toMatch(STACK);
}

describe('user errors are one clear line with a hint, the stack only with --debug', () => {
  const { dir, env } = project({ 'ok.ts': FLOW, 'throws.ts': THROWS });
  mkdirSync(join(dir, 'folder.ts'));
  const cli = (...args: string[]) => flowkit(args, { cwd: dir, env });

  beforeAll(async () => {
    expect((await cli('run', 'ok.ts')).code).toBe(0);
  });

  test.each([
    ['run', 'folder.ts'],
    ['resume', 'folder.ts'],
    ['show', 'folder.ts'],
    ['check', 'folder.ts'],
    ['dump', 'folder.ts', '1'],
    ['logs', 'folder.ts', '1'],
    ['tag', 'list', 'folder.ts'],
    ['list', 'runs', 'folder.ts'],
    ['status', 'folder.ts'],
  ])('a directory as the flow file: %s', async (...args) => {
    expectOneLineError(await cli(...args), 'Flow file folder.ts is a directory.');
  });

  test('a throw at the top level of the flow module names the flow file and line', async () => {
    const result = await cli('run', 'throws.ts');
    expectOneLineError(result, /throws\.ts:3:\d+: the flow module threw RangeError: no region configured\n/);
    expect(result.stderr).not.toContain('_code');
    const debug = await cli('run', 'throws.ts', '--debug');
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/caused by RangeError: no region configured\n\s+at .*throws\.ts:3:\d+/);
  });

  test.each([
    [['dump', 'ok.ts', '1', '--file', 'missing/dir/out.json'], /^--file missing\/dir\/out\.json: directory .*missing\/dir does not exist\.\n/],
    [['dump', 'ok.ts', '1', '--file', 'folder.ts'], /^--file folder\.ts: folder\.ts is a directory\.\n/],
    [['run', 'ok.ts', '--run-id-file', 'missing/run-id'], /^--run-id-file missing\/run-id: directory .*missing does not exist\.\n/],
  ])('an output file that cannot be written: %j', async (args, message) => {
    const result = await cli(...args);
    expectOneLineError(result, message);
    expect(existsSync(join(dir, '.flowkit', 'OkFlow', '2'))).toBe(false);
  });

  test('an error FlowKit did not foresee is still one line, with the stack behind --debug', async () => {
    const result = await cli('dump', 'ok.ts', '1', '--file', '/proc/flowkit-dump.json');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("Error: ENOENT: no such file or directory, open '/proc/flowkit-dump.json'\n(run again with --debug for the stack trace)\n");
    expect((await cli('dump', 'ok.ts', '1', '--file', '/proc/flowkit-dump.json', '--debug')).stderr).toMatch(STACK);
  });

  test('a server that cannot be reached: the error names it, the hint says where endpoints are set', async () => {
    // A closed port: the Batch client's retries end at once on a refused connection's error.
    const result = await flowkit(['batch', 'list', '--queue', 'q'], {
      cwd: dir,
      env: { ...env, FLOWKIT_BATCH_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret' },
    });
    expectOneLineError(result, /^Error: connect ECONNREFUSED 127\.0\.0\.1:9\n {2}hint: a server could not be reached: check the endpoint it names \(the FLOWKIT_\*_ENDPOINT_URL settings/);
  });
});
