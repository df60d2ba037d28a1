import { flowkit, project } from '../helpers/flowkit';

const FLOW = `
import { FlowSpec, step, Parameter, current } from '@flowkit/core';
export default class ParamFlow extends FlowSpec {
  alpha = Parameter('alpha', { help: 'Learning rate', default: 0.5 });
  name = Parameter('name', { help: 'Who to greet', default: 'world' });
  verbose = Parameter('verbose', { type: 'boolean', default: false });
  config = Parameter<{ layers: number[] }>('config', { type: 'json', default: { layers: [1] } });
  seed = Parameter('seed', { type: 'number', required: true, help: 'Random seed' });
  @step start() {
    console.log('start', typeof this.alpha, this.alpha, this.name, this.verbose, JSON.stringify(this.config), this.seed);
    console.log('names', current.parameterNames.join(','));
    try { (this as any).alpha = 3; } catch (e) { console.log((e as Error).message); }
    this.next(this.end);
  }
  @step end() { console.log('end', this.alpha, this.name, this.seed); }
}`;

describe('flowkit run: parameters', () => {
  const { dir, env } = project({ 'params.ts': FLOW });
  const run = (...args: string[]) => flowkit(['run', 'params.ts', ...args], { cwd: dir, env });

  test('defaults apply, are typed, visible in every step and read-only', async () => {
    const result = await run('--seed', '7');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('start number 0.5 world false {"layers":[1]} 7');
    expect(result.stdout).toContain('names alpha,name,verbose,config,seed');
    expect(result.stdout).toContain("Parameter 'alpha' is read-only in steps.");
    expect(result.stdout).toContain('end 0.5 world 7');
  });

  test('command-line values override defaults, JSON included', async () => {
    const result = await run('--alpha', '0.01', '--name', 'ada', '--verbose', 'true', '--config', '{"layers":[64,32]}', '--seed', '1');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('start number 0.01 ada true {"layers":[64,32]} 1');
  });

  test('values arrive as typed: a string parameter keeps 007, a bare boolean flag is true', async () => {
    const result = await run('--name', '007', '--verbose', '--seed', '016');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('start number 0.5 007 true {"layers":[1]} 16');
  });

  test('a missing required parameter is a clear error and starts no run', async () => {
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Parameter 'seed' is required.");
    expect(result.stderr).toContain('hint: pass it as --seed <value>');
    expect(result.stdout).not.toContain('Workflow starting');
  });

  test('a value of the wrong type names the parameter', async () => {
    const result = await run('--seed', '1', '--alpha', 'fast');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Parameter 'alpha' expects a number, got 'fast'.");
  });

  test('bad JSON names the parameter', async () => {
    const result = await run('--seed', '1', '--config', '{layers:');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Parameter 'config' expects JSON, got '{layers:'.");
  });

  test('an unknown parameter or option is refused by name', async () => {
    const result = await run('--seed', '1', '--betta', '2');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Unknown argument: betta/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('run --help lists the parameters with help, type and default', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--alpha\s+Learning rate \[number\] \[default: 0\.5\]/);
    expect(result.stdout).toMatch(/--seed\s+Random seed \[number\] \[required\]/);
    // One type per parameter: the parser's own label (`[string]`) is not added.
    expect(result.stdout).not.toMatch(/--(alpha|name|seed|verbose|config)\s.*\[(string|number|boolean|json)\].*\[(string|number|boolean)\]/);
  });
});
