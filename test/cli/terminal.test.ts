import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project } from '../helpers/flowkit';

const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

const FLOW = `
import { FlowSpec, step } from '@flowkit/core';
export default class TermFlow extends FlowSpec {
  declare title: string; declare nested: unknown;
  @step start() {
    this.title = 'x\\u001b]0;pwned\\u0007y';
    this.nested = { ['k\\u001b[2J']: ['\\u202eevil'] };
    console.log('colour \\u001b[31mred\\u001b[0m');
    this.next(this.end);
  }
  @step end() {}
}`;

describe('control characters never reach the terminal from what users wrote', () => {
  const { dir, env, root } = project({ 'term.ts': FLOW });
  const cli = (...args: string[]) => flowkit(args, { cwd: dir, env });

  beforeAll(async () => {
    expect((await cli('run', 'term.ts', '--tag', 'ok')).code).toBe(0);
  });

  test.each([
    ['tag add', ['tag', 'add', 'term.ts', 'a\u001b]0;x\u0007']],
    ['tag replace', ['tag', 'replace', 'term.ts', '--remove', 'ok', '--add', 'two\nlines']],
    ['run --tag', ['run', 'term.ts', '--tag', 'rtl\u202eevil']],
  ])('%s refuses a tag with control characters', async (_, args) => {
    const result = await cli(...args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Tag '.*' is not valid\.\n  hint: a tag is 1 to 512 printable characters/);
    expect(result.stderr).not.toMatch(CONTROL);
    expect(result.stdout).not.toContain('Workflow starting');
  });

  test('tags written by an older client are printed escaped by list runs and tag list', async () => {
    const record = join(root, 'TermFlow', '1', '_meta', 'run.json');
    writeFileSync(record, JSON.stringify({ ...JSON.parse(readFileSync(record, 'utf8')), tags: ['\u001b[2J\u001b]0;owned\u0007', 'a\nb'] }));
    const runs = await cli('list', 'runs', 'term.ts');
    expect(runs.code).toBe(0);
    expect(runs.stdout).not.toMatch(CONTROL);
    expect(runs.stdout).toContain('\\x1b[2J\\x1b]0;owned\\x07, a\\nb');
    const tags = await cli('tag', 'list', 'TermFlow');
    expect(tags.stdout).not.toMatch(CONTROL);
    expect(tags.stdout).toContain('TermFlow/1 tags: "\\x1b[2J\\x1b]0;owned\\x07", "a\\nb"');
  });

  test('dump previews are escaped; logs print the task output as written', async () => {
    const dump = await cli('dump', 'term.ts', '1/start');
    expect(dump.stdout).not.toMatch(CONTROL);
    expect(dump.stdout).toMatch(/title\s+string\s+\d+ B\s+'x\\x1B\]0;pwned\\x07y'/i);
    expect(dump.stdout).toContain('\\u202eevil');
    const logs = await cli('logs', 'term.ts', '1');
    expect(logs.stdout).toBe('--- TermFlow/1/start/1\ncolour \u001b[31mred\u001b[0m\n--- TermFlow/1/end/2\n');
  });
});
