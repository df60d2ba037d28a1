import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, flowkit, project } from '../helpers/flowkit';

const PLUGIN_DIR = join(REPO_ROOT, 'test', 'fixtures', 'flowkit-plugin-testkit');

const FLOW = `
import { FlowSpec, step } from '@flowkit/core';
import { makeStepDecorator } from '@flowkit/core/plugin';
const stamp = makeStepDecorator<{ label?: string }>('stamp');
export default class PluggedFlow extends FlowSpec {
  declare stamp: string;
  @stamp({ label: 'first' }) @step start() { console.log('stamp in start', this.stamp); this.next(this.end); }
  @step end() { console.log('stamp in end', this.stamp); }
}`;

describe('third-party plugins', () => {
  test('a plugin package installed beside the flow provides a datastore and a step decorator', async () => {
    const { dir, env } = project({ 'plugged.ts': FLOW });
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(PLUGIN_DIR, join(dir, 'node_modules', 'flowkit-plugin-testkit'));
    const result = await flowkit(['run', 'plugged.ts', '--datastore', 'flatfile'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('stamp in start first:first');
    expect(result.stdout).toContain('stamp in end first:first');
    const stored = readdirSync(join(dir, '.flatfile'));
    expect(stored).toContain('PluggedFlow__1__end__2__0.DONE');
    expect(stored.some((name) => name.startsWith('PluggedFlow__data__'))).toBe(true);
    expect(existsSync(join(dir, '.flowkit', 'PluggedFlow', '1', '_meta', 'run.json'))).toBe(true);
  });

  test('a scoped plugin package (@acme/flowkit-plugin-*) whose entry only its exports map names is found and loaded (issue 20)', async () => {
    const { dir, env } = project({ 'plugged.ts': FLOW });
    const scoped = join(dir, 'node_modules', '@acme', 'flowkit-plugin-stamp');
    mkdirSync(join(scoped, 'lib'), { recursive: true });
    writeFileSync(join(scoped, 'package.json'), JSON.stringify({ name: '@acme/flowkit-plugin-stamp', exports: { '.': { require: './lib/entry.js' } }, flowkit: { plugin: true } }));
    writeFileSync(join(scoped, 'lib', 'entry.js'), `module.exports = require(${JSON.stringify(PLUGIN_DIR)});`);
    // Not a plugin by name: never loaded, though it says it is one.
    const other = join(dir, 'node_modules', '@acme', 'tools');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'package.json'), JSON.stringify({ name: '@acme/tools', main: 'missing.js', flowkit: { plugin: true } }));
    const result = await flowkit(['run', 'plugged.ts', '--datastore', 'flatfile'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('stamp in end first:first');
  });

  test('an installed plugin package that was never built fails only the commands that need it, naming it (issue 20)', async () => {
    const { dir, env } = project({ 'plain.ts': FLOW.replace("@stamp({ label: 'first' }) ", '') });
    const unbuilt = join(dir, 'node_modules', 'flowkit-plugin-unbuilt');
    mkdirSync(unbuilt, { recursive: true });
    writeFileSync(join(unbuilt, 'package.json'), JSON.stringify({ name: 'flowkit-plugin-unbuilt', main: 'dist/index.js', flowkit: { plugin: true } }));
    const run = await flowkit(['run', 'plain.ts'], { cwd: dir, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const status = await flowkit(['status'], { cwd: dir, env });
    expect(status.stdout).toContain('PluggedFlow');
    expect(status.code).toBe(0);
    const problem = `flowkit-plugin-unbuilt (${join(unbuilt, 'dist', 'index.js')} is missing)`;
    const needed = await flowkit(['run', 'plain.ts', '--datastore', 'flatfile'], { cwd: dir, env });
    expect(needed.code).toBe(1);
    expect(needed.stderr).toContain("Unknown datastore 'flatfile' (--datastore). Installed plugin packages that cannot be loaded, which may provide it:");
    expect(needed.stderr).toContain(problem);
    expect(needed.stderr).toContain('build them (npm run build), reinstall them, or remove them.');
    expect(needed.stderr).not.toContain('Cannot find module');
    const command = await flowkit(['unbuilt', 'list'], { cwd: dir, env });
    expect(command.code).toBe(1);
    expect(command.stderr).toContain('Unknown argument: unbuilt. Installed plugin packages that cannot be loaded');
    expect(command.stderr).toContain(problem);
  });

  test('FLOWKIT_PLUGINS loads a plugin by path; without it the decorator is unknown', async () => {
    const { dir, env } = project({ 'plugged.ts': FLOW });
    const missing = await flowkit(['run', 'plugged.ts'], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Unknown step decorator 'stamp'");
    const loaded = await flowkit(['run', 'plugged.ts'], { cwd: dir, env: { ...env, FLOWKIT_PLUGINS: PLUGIN_DIR } });
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toContain('stamp in start first:first');
  });

  test("a run's code package carries only the plugins its tasks use", async () => {
    const { dir, env } = project({ 'plain.ts': FLOW.replace("@stamp({ label: 'first' }) ", '') });
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(PLUGIN_DIR, join(dir, 'node_modules', 'flowkit-plugin-testkit'));
    const bundleAfter = async (args: string[], exitCode = 0) => {
      const result = await flowkit(['run', 'plain.ts', ...args], { cwd: dir, env });
      expect(result.code).toBe(exitCode);
      const code = join(dir, '.flowkit', '_code');
      const newest = readdirSync(code).filter((name) => name.endsWith('.cjs')).sort((a, b) => statSync(join(code, b)).mtimeMs - statSync(join(code, a)).mtimeMs)[0] as string;
      return readFileSync(join(code, newest), 'utf8');
    };
    const local = await bundleAfter([]);
    expect(local).toContain('packages/datastore-local/');
    for (const unused of ['flowkit-plugin-testkit/', 'packages/datastore-s3/', '@aws-sdk/', 'packages/metadata-service/', 'packages/tutorials/']) expect(local).not.toContain(unused);
    expect(await bundleAfter(['--with', 'stamp:label=x'])).toContain('flowkit-plugin-testkit/');
    // With no S3 endpoint or service the run stops before any task, but after its code package is made.
    const remote = await bundleAfter(['--datastore', 's3', '--datastore-root', 's3://nowhere/flows', '--metadata', 'service'], 1);
    for (const used of ['packages/datastore-s3/', 'packages/metadata-service/', 'packages/datastore-local/']) expect(remote).toContain(used);
    expect(remote).not.toContain('packages/tutorials/');
  });
});
