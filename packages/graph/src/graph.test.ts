import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FlowDefinitionError } from '@flowkit/core';
import { version as typescriptVersion } from 'typescript';
import { formatIssue, loadGraph, renderDot, renderMermaid, renderText, typeCheck } from './index';

const LINT = join(__dirname, '..', 'test', 'fixtures', 'lint');
const HEADER = "import { FlowSpec, step, Inputs, retry } from '@flowkit/core';\n";

function flowFile(body: string, name = 'flow.ts'): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowkit-graph-'));
  const file = join(dir, name);
  writeFileSync(file, HEADER + body);
  return file;
}

describe('lint rules: one failing fixture each', () => {
  const fixtures = readdirSync(LINT).filter((f) => f.endsWith('.ts'));

  test.each(fixtures)('%s', (name) => {
    const header = /^\/\/ expect: (\S+) (\d+):(\d+) (.*)$/.exec(readFileSync(join(LINT, name), 'utf8').split('\n')[0] ?? '');
    const [, rule, line, column, message] = header as RegExpExecArray;
    expect(name).toBe(`${rule}.ts`);
    const { issues } = loadGraph(join(LINT, name));
    const issue = issues.find((i) => i.rule === rule);
    expect(issue).toMatchObject({ line: Number(line), column: Number(column), file: join(LINT, name) });
    expect(issue?.message).toContain(message);
    expect(issue?.hint.length).toBeGreaterThan(10);
    expect(formatIssue(issue!)).toBe(`${join(LINT, name)}:${line}:${column}: ${issue?.message} [${rule}]\n  hint: ${issue?.hint}`);
  });
});

describe('graph shapes', () => {
  test('linear: types, parents, order, docs and decorators', () => {
    const { graph, issues } = loadGraph(
      flowFile(`
/** Flow doc. */
export default class Linear extends FlowSpec {
  /** Begins. */
  @step start() { this.next(this.middle); }
  @retry({ times: 2, label: 'x', list: [1, 'a'], computed: Math.PI }) @step middle() { this.next(this.end); }
  @step end() {}
}`),
    );
    expect(issues).toEqual([]);
    expect(graph.flowName).toBe('Linear');
    expect(graph.doc).toBe('Flow doc.');
    expect(graph.order).toEqual(['start', 'middle', 'end']);
    expect(graph.steps.start).toMatchObject({ type: 'start', next: ['middle'], parents: [], doc: 'Begins.', line: 6, column: 9 });
    expect(graph.steps.middle).toMatchObject({ type: 'linear', parents: ['start'], decorators: [{ name: 'retry', attributes: { times: 2, label: 'x', list: [1, 'a'] } }] });
    expect(graph.steps.end).toMatchObject({ type: 'end', next: [] });
  });

  test('branch and join, foreach and join, nested splits', () => {
    const { graph, issues } = loadGraph(
      flowFile(`
export default class Shapes extends FlowSpec {
  declare outer: number[]; declare inner: number[];
  @step start() { this.next(this.a, this.b); }
  @step a() { this.next(this.join); }
  @step b() { this.next(this.join); }
  @step join(inputs: Inputs) { this.outer = [1, 2]; this.next(this.fan, { foreach: 'outer' }); }
  @step fan() { this.inner = [1]; this.next(this.body, { foreach: 'inner' }); }
  @step body() { this.next(this.innerJoin); }
  @step innerJoin(inputs: Inputs) { this.next(this.outerJoin); }
  @step outerJoin(inputs: Inputs) { this.next(this.end); }
  @step end() {}
}`),
    );
    expect(issues).toEqual([]);
    expect(graph.steps.start).toMatchObject({ type: 'split-and', matchingJoin: 'join' });
    expect(graph.steps.join).toMatchObject({ type: 'join', parents: ['a', 'b'], splitParents: ['start'], foreach: 'outer', matchingJoin: 'outerJoin' });
    expect(graph.steps.fan).toMatchObject({ type: 'foreach', splitParents: ['join'], matchingJoin: 'innerJoin' });
    expect(graph.steps.body?.splitParents).toEqual(['join', 'fan']);
    expect(graph.steps.innerJoin?.splitParents).toEqual(['join', 'fan']);
    expect(graph.steps.outerJoin?.splitParents).toEqual(['join']);
    expect(graph.steps.end?.splitParents).toEqual([]);
    expect(graph.order).toEqual(['start', 'a', 'b', 'join', 'fan', 'body', 'innerJoin', 'outerJoin', 'end']);
  });

  test('foreach inside a branch and a branch inside a foreach are valid', () => {
    const { issues } = loadGraph(
      flowFile(`
export default class Mixed extends FlowSpec {
  declare xs: number[];
  @step start() { this.xs = [1]; this.next(this.a, this.b); }
  @step a() { this.next(this.each, { foreach: 'xs' }); }
  @step each() { this.next(this.left, this.right); }
  @step left() { this.next(this.both); }
  @step right() { this.next(this.both); }
  @step both(inputs: Inputs) { this.next(this.eachJoin); }
  @step eachJoin(inputs: Inputs) { this.next(this.join); }
  @step b() { this.next(this.join); }
  @step join(inputs: Inputs) { this.next(this.end); }
  @step end() {}
}`),
    );
    expect(issues).toEqual([]);
  });

  test('aliased and namespace imports, and inherited steps, are understood', () => {
    const file = flowFile(`
import * as fk from '@flowkit/core';
import { FlowSpec as Base, step as s } from '@flowkit/core';
class Common extends Base {
  @s start() { this.next(this.end); }
}
export class Child extends Common {
  @fk.step end() {}
}`);
    const { graph, issues } = loadGraph(file);
    expect(issues).toEqual([]);
    expect(graph.flowName).toBe('Child');
    expect(Object.keys(graph.steps).sort()).toEqual(['end', 'start']);
  });

  test("TC39 decorators (`export @dec class`) and experimentalDecorators' (on parameters) both parse", () => {
    const tc39 = loadGraph(flowFile("export @retry({ times: 1 }) class Tc39 extends FlowSpec {\n  @step start() { this.next(this.end); }\n  @step end() {}\n}"));
    expect(tc39.graph.decorators).toEqual([{ name: 'retry', attributes: { times: 1 } }]);
    const legacy = loadGraph(flowFile("const inject = (..._: unknown[]) => {};\nexport class Legacy extends FlowSpec {\n  @step start() { this.next(this.end); }\n  @step end() {}\n  helper(@inject x: number) {}\n}"));
    expect([legacy.graph.order, legacy.issues]).toEqual([['start', 'end'], []]);
  });

  test.each(['js', 'mjs', 'cjs', 'jsx', 'mts', 'cts', 'tsx'])('a .%s flow', (extension) => {
    const { graph, issues } = loadGraph(flowFile('/** Doc. */\nexport default class Ext extends FlowSpec {\n  @step start() { this.next(this.end); }\n  @step end() {}\n}', `flow.${extension}`));
    expect([graph.flowName, graph.doc, graph.order, issues]).toEqual(['Ext', 'Doc.', ['start', 'end'], []]);
  });
});

describe('files that cannot hold a flow', () => {
  test('missing, wrong language, syntax error (located), none or two flows', () => {
    expect(() => loadGraph('/no/such/flow.ts')).toThrow('Flow file /no/such/flow.ts does not exist.');
    expect(() => loadGraph(flowFile('x', 'notes.txt'))).toThrow('is not TypeScript or JavaScript');
    const broken = flowFile('export default class F extends FlowSpec {\n  @step start() { this.next(this.end) \n');
    try {
      loadGraph(broken);
      throw new Error('expected a syntax error');
    } catch (error) {
      expect(error).toBeInstanceOf(FlowDefinitionError);
      expect((error as FlowDefinitionError).location).toMatchObject({ file: broken, line: 4 });
      expect((error as Error).message).toMatch(/flow\.ts:4:\d+: syntax error/);
    }
    expect(() => loadGraph(flowFile('export class Plain {}'))).toThrow('defines no class that extends FlowSpec');
    expect(() => loadGraph(flowFile('export class A extends FlowSpec {}\nexport class B extends FlowSpec {}'))).toThrow('defines 2 flows (A, B)');
  });
});

describe('renderers and type-check', () => {
  const file = flowFile(`
export default class Render extends FlowSpec {
  declare xs: number[];
  /** Fans out. */
  @step start() { this.xs = [1]; this.next(this.body, { foreach: 'xs' }); }
  @step body() { this.next(this.join); }
  @step join(inputs: Inputs) { this.next(this.end); }
  @step end() {}
}`);
  const { graph } = loadGraph(file);

  test('text, mermaid and dot', () => {
    expect(renderText(graph)).toContain('Step start (foreach)\n    Fans out.\n    => body (foreach over xs)');
    expect(renderMermaid(graph)).toContain('start -- "foreach xs" --> body');
    expect(renderDot(graph)).toContain('start -> body [label="foreach xs"];');
  });

  test('no tsconfig: nothing to type-check; with one: errors located', () => {
    expect(typeCheck(file)).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-tc-'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true } }));
    writeFileSync(join(dir, 'bad.ts'), 'const n: number = "text";\nexport {};\n');
    const issues = typeCheck(join(dir, 'bad.ts'));
    expect(issues).toEqual([expect.objectContaining({ rule: 'typescript', line: 1, column: 7 })]);
    expect(issues[0]?.message).toContain("TS2322: Type 'string' is not assignable to type 'number'.");
    expect(issues[0]?.hint).toContain(`; TypeScript ${typescriptVersion}, FlowKit's)`);
  });

  test("a project with its own TypeScript is checked with it, as its editor and tsc would", () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-tc-own-'));
    // A real copy of a TypeScript package, installed in the project as npm would.
    cpSync(dirname(dirname(require.resolve('typescript'))), join(dir, 'node_modules', 'typescript'), { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true } }));
    writeFileSync(join(dir, 'bad.ts'), 'const n: number = "text";\nexport {};\n');
    const issues = typeCheck(join(dir, 'bad.ts'));
    expect(issues.map((issue) => issue.hint)).toEqual([expect.stringContaining(`the project's, ${join(dir, 'node_modules', 'typescript')})`)]);
  });

  test('without any TypeScript installed, the graph still loads and the type check is skipped with a note', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-tc-none-'));
    writeFileSync(join(dir, 'tsconfig.json'), '{}');
    writeFileSync(join(dir, 'flow.ts'), `${HEADER}export default class F extends FlowSpec {\n  @step start() { this.next(this.end); }\n  @step end() {}\n}\n`);
    // The built package in a Node where `typescript` resolves nowhere, as in a project that installed only FlowKit.
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'typescript') throw Object.assign(new Error('no typescript here'), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      const graph = require(${JSON.stringify(join(__dirname, '..'))});
      const file = ${JSON.stringify(join(dir, 'flow.ts'))};
      process.stdout.write(JSON.stringify([graph.loadGraph(file).graph.order, graph.typeCheck(file)]));`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(result.stdout)).toEqual([['start', 'end'], []]);
    expect(result.stderr).toBe(`Type check skipped: ${join(dir, 'tsconfig.json')} asks for one, but no TypeScript is installed (npm i -D typescript).\n`);
  });
});
