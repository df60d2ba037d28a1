import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchTestServer, NpmRegistryTestServer } from '@flowkit/test-servers';
import { flowkit, project } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/** Two steps pin two majors of one package; a third takes a package that depends on another. */
const FLOW = `
import { FlowSpec, step, type Inputs } from '@flowkit/core';
import { packages, packagesBase } from '@flowkit/environment-npm';
@packagesBase({ 'fkt-dep': '1.0.0' })
export default class PinnedFlow extends FlowSpec {
  @step start() { this.next(this.one, this.two); }
  @packages({ 'fkt-greeting': '1.0.0' })
  @step async one() { const { greet } = await import('fkt-greeting'); console.log('one sees', greet()); this.next(this.join); }
  @packages({ 'fkt-greeting': '^2.0.0', 'fkt-shout': '1.0.0' })
  @step async two() {
    const { greet } = await import('fkt-greeting');
    const { shout } = await import('fkt-shout');
    console.log('two sees', greet(), shout('hi'));
    this.next(this.join);
  }
  @step async join(_inputs: Inputs<PinnedFlow>) { const { dep } = await import('fkt-dep'); console.log('join sees', dep()); this.next(this.end); }
  @step end() {}
}`;

let registry: NpmRegistryTestServer;
let npmCache: string;

beforeAll(async () => {
  registry = await NpmRegistryTestServer.start();
  npmCache = mkdtempSync(join(tmpdir(), 'flowkit-npm-cache-'));
  await registry.publish('fkt-greeting', '1.0.0', { 'index.js': "exports.greet = () => 'greeting 1.0.0';" });
  await registry.publish('fkt-greeting', '2.0.0', { 'index.js': "exports.greet = () => 'greeting 2.0.0';" });
  await registry.publish('fkt-greeting', '2.1.0', { 'index.js': "exports.greet = () => 'greeting 2.1.0';" });
  await registry.publish('fkt-dep', '1.0.0', { 'index.js': "exports.dep = () => 'dep 1.0.0';" });
  await registry.publish('fkt-shout', '1.0.0', { 'index.js': "const { dep } = require('fkt-dep'); exports.shout = (s) => s.toUpperCase() + ' with ' + dep();" }, { 'fkt-dep': '^1.0.0' });
});

afterAll(async () => {
  await registry.stop();
  rmSync(npmCache, { recursive: true, force: true });
});

/** A project with its own environment cache, npm pointed at the test registry. */
function setup(files: Record<string, string>) {
  const { dir, env } = project(files);
  const cacheDir = join(dir, 'environments');
  return { dir, cacheDir, env: { ...env, ...registry.env(npmCache), FLOWKIT_PACKAGES_CACHE_DIR: cacheDir } };
}

describe('--environment packages', () => {
  test('each step imports its own versions; a second run builds nothing and asks the registry nothing', async () => {
    const { dir, cacheDir, env } = setup({ 'pinned.ts': FLOW });
    const first = await flowkit(['run', 'pinned.ts', '--environment', 'packages'], { cwd: dir, env });
    expect([first.code, first.stderr]).toEqual([0, expect.not.stringContaining('Error')]);
    expect(first.stdout).toContain('one sees greeting 1.0.0');
    // ^2.0.0 resolved to the newest 2.x; a package's own dependency came with it.
    expect(first.stdout).toContain('two sees greeting 2.1.0 HI with dep 1.0.0');
    expect(first.stdout).toContain('join sees dep 1.0.0');
    // One environment per distinct set: start, join and end share the flow's base.
    expect(first.stdout.match(/Building the environment/g)).toHaveLength(3);

    const show = await flowkit(['environment', 'show', 'PinnedFlow/1/two'], { cwd: dir, env });
    expect([show.code, show.stdout]).toEqual([0, expect.stringContaining('PinnedFlow/1/two declared: fkt-dep@1.0.0 fkt-greeting@^2.0.0 fkt-shout@1.0.0\n')]);
    expect(show.stdout).toMatch(/^fkt-greeting +2\.1\.0$/m);
    const lockfile = await flowkit(['environment', 'show', 'PinnedFlow/1/one', '--lockfile'], { cwd: dir, env });
    expect(JSON.parse(lockfile.stdout).packages['node_modules/fkt-greeting'].version).toBe('1.0.0');
    const unknown = await flowkit(['environment', 'show', 'PinnedFlow/1/nope'], { cwd: dir, env });
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("No environment recorded for PinnedFlow/1/nope: step 'nope' is not one of its steps with packages")]);

    const asked = registry.requests.length;
    const second = await flowkit(['run', 'pinned.ts', '--environment', 'packages'], { cwd: dir, env });
    expect([second.code, second.stdout]).toEqual([0, expect.stringContaining('two sees greeting 2.1.0')]);
    expect(second.stdout).not.toContain('Building the environment');
    expect(registry.requests.length).toBe(asked);

    const list = await flowkit(['environment', 'list'], { cwd: dir, env });
    expect([list.code, list.stdout]).toEqual([0, expect.stringContaining('fkt-dep@1.0.0 fkt-greeting@^2.0.0 fkt-shout@1.0.0')]);
    expect(list.stdout).toContain(`3 environments in ${cacheDir}`);
  });

  test('a step cannot import a package it did not declare, even one the project has', async () => {
    const { dir, env } = setup({
      'undeclared.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { packages } from '@flowkit/environment-npm';
export default class UndeclaredFlow extends FlowSpec {
  @packages({ 'fkt-dep': '1.0.0' })
  @step async start() { const { local } = await import('fkt-local'); console.log(local); this.next(this.end); }
  @step end() {}
}`,
      'node_modules/fkt-local/package.json': JSON.stringify({ name: 'fkt-local', version: '1.0.0', main: 'index.js' }),
      'node_modules/fkt-local/index.js': "exports.local = 'from the project';",
    });
    const run = await flowkit(['run', 'undeclared.ts', '--environment', 'packages'], { cwd: dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Step 'start' imports 'fkt-local', which its environment does not have (it has fkt-dep)");
    expect(run.stderr).toContain("@packages({ 'fkt-local': '<version>' })");
    expect(run.stdout).not.toContain('from the project');
  });

  test('an unknown package or version, or no registry, fails before the run is recorded, naming the step', async () => {
    const flow = (version: string, name = 'fkt-greeting') => `
import { FlowSpec, step } from '@flowkit/core';
import { packages } from '@flowkit/environment-npm';
export default class BadVersionFlow extends FlowSpec {
  @packages({ '${name}': '${version}' })
  @step start() { this.next(this.end); }
  @step end() {}
}`;
    const { dir, env } = setup({ 'bad_version.ts': flow('9.9.9'), 'bad_name.ts': flow('1.0.0', 'fkt-no-such-package') });
    const version = await flowkit(['run', 'bad_version.ts', '--environment', 'packages'], { cwd: dir, env });
    expect([version.code, version.stderr]).toEqual([1, expect.stringContaining("@packages of step 'start': no version matches")]);
    expect(version.stderr).toContain('fkt-greeting@9.9.9');
    const name = await flowkit(['run', 'bad_name.ts', '--environment', 'packages'], { cwd: dir, env });
    expect([name.code, name.stderr]).toEqual([1, expect.stringContaining("@packages of step 'start': the registry has no such package")]);
    expect(existsSync(join(dir, '.flowkit', 'BadVersionFlow'))).toBe(false);
    const offline = await flowkit(['run', 'bad_version.ts', '--environment', 'packages'], {
      cwd: dir,
      env: { ...env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0', npm_config_cache: join(dir, 'empty-npm-cache') },
    });
    expect([offline.code, offline.stderr]).toEqual([1, expect.stringContaining("@packages of step 'start': the npm registry cannot be reached")]);
    // Without --environment the decorators change nothing, and the run says so.
    const plain = await flowkit(['run', 'bad_version.ts'], { cwd: dir, env });
    expect([plain.code, plain.stderr]).toEqual([0, "Warning: @packages of 'start' take effect with --environment packages; this run imports from the project.\n"]);
    const badAttribute = await flowkit(['run', 'bad_version.ts', '--environment', 'packages', '--with', 'packages:Not_A_Name=1'], { cwd: dir, env });
    expect([badAttribute.code, badAttribute.stderr]).toEqual([1, expect.stringContaining("@packages: 'Not_A_Name' is not an npm package name.")]);
  });

  test('resume and --environment-from install the lockfiles a run stored; a new run resolves anew; a changed environment is built again', async () => {
    await registry.publish('fkt-evolving', '1.0.0', { 'index.js': "exports.version = '1.0.0';" });
    const { dir, cacheDir, env } = setup({
      'evolving.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { packages } from '@flowkit/environment-npm';
export default class EvolvingFlow extends FlowSpec {
  @step start() { this.next(this.end); }
  @packages({ 'fkt-evolving': '^1.0.0' })
  @step async end() {
    const { version } = await import('fkt-evolving');
    console.log('end sees', version);
    if (process.env.FAIL_END === '1') throw new Error('failing on purpose');
  }
}`,
    });
    const failed = await flowkit(['run', 'evolving.ts', '--environment', 'packages'], { cwd: dir, env: { ...env, FAIL_END: '1' } });
    expect([failed.code, failed.stdout]).toEqual([1, expect.stringContaining('end sees 1.0.0')]);
    // A newer 1.x appears, and the cached resolutions are forgotten: ^1.0.0 now means 1.1.0.
    await registry.publish('fkt-evolving', '1.1.0', { 'index.js': "exports.version = '1.1.0';" });
    const pruned = await flowkit(['environment', 'prune', '--older-than', '0m', '--resolved'], { cwd: dir, env });
    expect([pruned.code, pruned.stdout]).toEqual([0, 'Removed 1 environment unused for 0m, and the cached resolutions.\n']);

    const resumed = await flowkit(['resume', 'evolving.ts', '--environment', 'packages'], { cwd: dir, env });
    expect([resumed.code, resumed.stdout]).toEqual([0, expect.stringContaining('end sees 1.0.0')]);
    const fresh = await flowkit(['run', 'evolving.ts', '--environment', 'packages'], { cwd: dir, env });
    expect([fresh.code, fresh.stdout]).toEqual([0, expect.stringContaining('end sees 1.1.0')]);

    // A new run that asks for the first run's environments gets its versions.
    const pinned = await flowkit(['run', 'evolving.ts', '--environment', 'packages', '--environment-from', '1'], { cwd: dir, env });
    expect([pinned.code, pinned.stdout]).toEqual([0, expect.stringContaining('end sees 1.0.0')]);
    const missing = await flowkit(['run', 'evolving.ts', '--environment', 'packages', '--environment-from', '99'], { cwd: dir, env });
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('Run EvolvingFlow/99 does not exist, so --environment-from cannot take its environments.')]);

    // Someone edits a file inside the 1.1.0 environment: the next run notices and builds it again.
    const envs = readdirSync(join(cacheDir, 'envs'));
    expect(envs).toHaveLength(2);
    for (const key of envs) appendFileSync(join(cacheDir, 'envs', key, 'node_modules', 'fkt-evolving', 'index.js'), "\nexports.version = 'tampered';");
    const again = await flowkit(['run', 'evolving.ts', '--environment', 'packages'], { cwd: dir, env });
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining('end sees 1.1.0')]);
    expect(again.stdout.match(/Building the environment/g)).toHaveLength(1);
  });

  test('two runs at once build a shared environment once', async () => {
    const { dir, env } = setup({
      'shared.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { packagesBase } from '@flowkit/environment-npm';
@packagesBase({ 'fkt-greeting': '2.0.0' })
export default class SharedFlow extends FlowSpec {
  @step async start() { const { greet } = await import('fkt-greeting'); console.log('start sees', greet()); this.next(this.end); }
  @step end() {}
}`,
    });
    const runs = await Promise.all([0, 1].map(() => flowkit(['run', 'shared.ts', '--environment', 'packages'], { cwd: dir, env })));
    for (const run of runs) expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('start sees greeting 2.0.0')]);
    expect(runs.map((run) => run.stdout.match(/Building the environment/g)?.length ?? 0).sort()).toEqual([0, 1]);
  });

  test('a --with batch step gets its environment in the Batch test server\'s empty working directory', async () => {
    await registry.publish('fkt-where', '1.0.0', { 'index.js': 'exports.where = __dirname;' });
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const s3 = await S3TestServer.start(['flowkit']);
    const batch = await BatchTestServer.start({ queues: ['envs'], stateDelayMs: 5, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      const { dir, cacheDir, env } = setup({
        'remote.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { packages } from '@flowkit/environment-npm';
export default class RemoteEnvFlow extends FlowSpec {
  @step start() { this.next(this.remote); }
  @packages({ 'fkt-where': '1.0.0', 'fkt-greeting': '2.0.0' })
  @step async remote() {
    const { where } = await import('fkt-where');
    const { greet } = await import('fkt-greeting');
    console.log('remote sees', greet(), 'in a job:', process.env.AWS_BATCH_JOB_ID !== undefined, 'from', where);
    this.next(this.end);
  }
  @step end() {}
}`,
      });
      const remoteEnv = {
        ...env,
        ...batch.env(),
        ...s3.env('s3://flowkit/envs'),
        FLOWKIT_DEFAULT_DATASTORE: 's3',
        FLOWKIT_BATCH_JOB_QUEUE: 'envs',
        FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/flowkit-batch',
        FLOWKIT_BATCH_POLL_SECONDS: '0.05',
      };
      const run = await flowkit(['run', 'remote.ts', '--environment', 'packages', '--with', 'batch'], { cwd: dir, env: remoteEnv });
      expect([run.code, run.stderr]).toEqual([0, '']);
      const [, where] = /remote sees greeting 2\.0\.0 in a job: true from (\S+)/.exec(run.stdout) ?? [];
      // Unpacked beside the job's task, not read from this machine's cache.
      expect(where).toMatch(/[\\/]environment[\\/]node_modules[\\/]fkt-where$/);
      expect(where?.startsWith(cacheDir)).toBe(false);
      expect(batch.jobs().length).toBe(3);
      // The job's command names one URL, the manifest's, whatever the parts: presigned URLs are long, and ECS caps a
      // command with its environment at 8 KiB.
      const remoteJob = batch.jobs().find((job) => job.tags['flowkit.step'] === 'remote');
      expect(remoteJob?.command.filter((arg) => /^(https?|file):\/\//.test(arg))).toHaveLength(1);
    } finally {
      await batch.stop();
      await s3.close();
    }
  });
});
