import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, flowkit, project } from '../helpers/flowkit';

const LINT_FIXTURES = join(REPO_ROOT, 'packages', 'graph', 'test', 'fixtures', 'lint');

describe('bad flow files are refused before any task runs', () => {
  const { dir, env } = project({
    'notes.txt': 'not a flow',
    'syntax.ts': "import { FlowSpec, step } from '@flowkit/core';\nexport default class S extends FlowSpec {\n  @step start() { this.next(this.end) \n  @step end() {}\n",
    'none.ts': 'export class Plain { start() {} }\n',
    'two.ts': "import { FlowSpec, step } from '@flowkit/core';\nexport class A extends FlowSpec { @step start() { this.next(this.end); } @step end() {} }\nexport class B extends FlowSpec { @step start() { this.next(this.end); } @step end() {} }\n",
  });
  const run = (file: string) => flowkit(['run', file], { cwd: dir, env });

  test('a missing file', async () => {
    const result = await run('missing.ts');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Flow file missing.ts does not exist.');
  });

  test('a file that is not TypeScript or JavaScript', async () => {
    const result = await run('notes.txt');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/notes\.txt/);
  });

  test('a syntax error, located', async () => {
    const result = await run('syntax.ts');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/syntax\.ts:\d+:\d+/);
  });

  test('no FlowSpec subclass, and two of them', async () => {
    const none = await run('none.ts');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/FlowSpec/);
    const two = await run('two.ts');
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/\bA\b[\s\S]*\bB\b/);
  });

});

describe('every lint rule is refused by `run` and `check` with its location and hint', () => {
  const fixtures = readdirSync(LINT_FIXTURES).filter((name) => name.endsWith('.ts'));

  test('there is a fixture per rule', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });

  // Copied away from the graph package, whose tsconfig.json would make `check` type-check each fixture too (a
  // second, slow compile that says nothing about the lint rule under test).
  const { dir, env } = project(Object.fromEntries(fixtures.map((name) => [name, readFileSync(join(LINT_FIXTURES, name), 'utf8')])));

  test.concurrent.each(fixtures)('%s', async (name) => {
    const header = /^\/\/ expect: (\S+) (\d+):(\d+) (.*)$/.exec(readFileSync(join(LINT_FIXTURES, name), 'utf8').split('\n')[0] ?? '');
    expect(header).not.toBeNull();
    const [, , line, column, message] = header as unknown as string[];
    const [check, run] = await Promise.all([flowkit(['check', name], { cwd: dir, env }), flowkit(['run', name], { cwd: dir, env })]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`${name}:${line}:${column}: `);
    expect(check.stderr).toContain(message as string);
    expect(check.stderr).toContain('hint: ');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${name}:${line}:${column}: `);
    expect(run.stdout).not.toContain('Workflow starting');
  });
});
