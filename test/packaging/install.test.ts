import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BatchTestServer, KubeTestServer } from '@flowkit/test-servers';
import { REPO_ROOT, runNode } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

const exec = promisify(execFile);

/**
 * The packages as users get them: packed with `npm pack`, installed from the tarballs into blank projects outside
 * the repository (their other dependencies from the registry, through npm's cache), then a flow run and a client
 * script in each, through the project's own `flowkit` binary.
 */
const LOCAL_PACKAGES = ['core', 'cli', 'client', 'runtime', 'graph', 'datastore-local'];
/** What a user adds to run steps on AWS Batch with artifacts in S3. */
const BATCH_PACKAGES = ['compute-batch', 'datastore-s3', 'datastore-objects'];
/** What a user adds to run steps on Kubernetes with artifacts in S3. */
const KUBE_PACKAGES = ['compute-kube', 'datastore-s3', 'datastore-objects'];
const TUTORIAL_PACKAGES = ['tutorials'];
/** The plugin docs/plugins.md builds, packed as its author would publish it. */
const EXAMPLE_PLUGIN = join(REPO_ROOT, 'examples', 'flowkit-plugin-step-timer');

const FLOW = `
import { FlowSpec, Parameter, step, type Inputs } from '@flowkit/core';

export default class InstalledFlow extends FlowSpec {
  count = Parameter('count', { default: 3 });
  declare items: number[];
  declare squared: number;
  declare total: number;

  @step start() {
    this.items = Array.from({ length: this.count }, (_, i) => i + 1);
    this.next(this.square, { foreach: 'items' });
  }
  @step square() {
    this.squared = (this.input as number) ** 2;
    this.next(this.join);
  }
  @step join(inputs: Inputs<InstalledFlow>) {
    this.total = inputs.reduce((sum, input) => sum + input.squared, 0);
    this.next(this.end);
  }
  @step end() {
    console.log('total', this.total);
  }
}
`;

const ESM_CLIENT = `
import { Flow } from '@flowkit/client';
const run = await new Flow('InstalledFlow').latestSuccessfulRun();
console.log('client total', await run.data.total);
`;

const CJS_CLIENT = `
const { Flow } = require('@flowkit/client');
new Flow('InstalledFlow').latestSuccessfulRun().then(async (run) => console.log('client total', await run.data.total));
`;

const packed = mkdtempSync(join(tmpdir(), 'flowkit-packed-'));
const tarball = (name: string) => join(packed, `flowkit-${name}-0.1.0.tgz`);

beforeAll(async () => {
  const all = [...new Set([...LOCAL_PACKAGES, ...BATCH_PACKAGES, ...KUBE_PACKAGES, ...TUTORIAL_PACKAGES])];
  await exec('npm', ['pack', ...all.flatMap((name) => ['-w', `@flowkit/${name}`]), '--pack-destination', packed, '--silent'], { cwd: REPO_ROOT });
  // Its prepack script builds it.
  await exec('npm', ['pack', '--pack-destination', packed, '--silent'], { cwd: EXAMPLE_PLUGIN });
  expect(readdirSync(packed)).toHaveLength(all.length + 1);
}, 120000);

/** A blank project outside the repository with `files`, the tarballs of `packages` (and `others`) installed into it. */
/** `flowkit check` type-checks with the project's own TypeScript (an optional peer of @flowkit/graph). */
const TYPESCRIPT = 'typescript@~5.9.3';

async function installedProject(files: Record<string, string>, packages = LOCAL_PACKAGES, others: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'flowkit-installed-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  await exec('npm', ['install', ...packages.map(tarball), ...others, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir });
  return dir;
}

const TIMED_FLOW = `
import { FlowSpec, step } from '@flowkit/core';
import { timed } from 'flowkit-plugin-step-timer';

export default class TimedFlow extends FlowSpec {
  declare step_seconds: number;
  declare nap_seconds: number;

  @timed() @step start() {
    this.next(this.nap);
  }
  @timed({ artifact: 'nap_seconds' }) @step async nap() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    this.next(this.end);
  }
  @step end() {}
}
`;

const TIMED_CLIENT = `
const { Flow } = require('@flowkit/client');
new Flow('TimedFlow').latestSuccessfulRun().then(async (run) => console.log(JSON.stringify({ start: await run.data.step_seconds, nap: await run.data.nap_seconds })));
`;

/** The project's own `flowkit`, as `npx flowkit` would run it. */
function installedFlowkit(dir: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  return runNode([join(dir, 'node_modules', '@flowkit', 'cli', 'bin', 'flowkit.js'), ...args], { cwd: options.cwd ?? dir, env: { FLOWKIT_DATASTORE_SYSROOT_LOCAL: undefined, ...options.env } });
}

test('a CommonJS project runs a flow and reads it back with the client', async () => {
  const dir = await installedProject({ 'package.json': JSON.stringify({ name: 'blank-cjs', version: '1.0.0', private: true }), 'flow.ts': FLOW, 'client.js': CJS_CLIENT });
  const run = await installedFlowkit(dir, ['run', 'flow.ts', '--count', '4']);
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(run.stdout).toContain('total 30');
  const client = await runNode(['client.js'], { cwd: dir });
  expect([client.code, client.stderr, client.stdout]).toEqual([0, '', 'client total 30\n']);
}, 180000);

test('a strict TypeScript project (node16 resolution, legacy decorators) type-checks and runs the flow', async () => {
  const tsconfig = { compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', experimentalDecorators: true, noEmit: true, skipLibCheck: false } };
  const dir = await installedProject({ 'package.json': JSON.stringify({ name: 'blank-ts', version: '1.0.0', private: true }), 'tsconfig.json': JSON.stringify(tsconfig), 'flow.ts': FLOW }, LOCAL_PACKAGES, [TYPESCRIPT]);
  const check = await installedFlowkit(dir, ['check', 'flow.ts']);
  expect([check.code, check.stderr]).toEqual([0, '']);
  const run = await installedFlowkit(dir, ['run', 'flow.ts']);
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(run.stdout).toContain('total 14');
}, 180000);

test('an ES module project ("type": "module") runs a flow and reads it back with the client', async () => {
  const dir = await installedProject({ 'package.json': JSON.stringify({ name: 'blank-esm', version: '1.0.0', private: true, type: 'module' }), 'flow.ts': FLOW, 'client.js': ESM_CLIENT });
  const run = await installedFlowkit(dir, ['run', 'flow.ts']);
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(run.stdout).toContain('total 14');
  const client = await runNode(['client.js'], { cwd: dir });
  expect([client.code, client.stderr, client.stdout]).toEqual([0, '', 'client total 14\n']);
}, 180000);

test('a strict TypeScript project (bundler resolution, TC39 decorators) type-checks and runs a .mts flow', async () => {
  const tsconfig = { compilerOptions: { strict: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', noEmit: true } };
  const dir = await installedProject({ 'package.json': JSON.stringify({ name: 'blank-bundler', version: '1.0.0', private: true, type: 'module' }), 'tsconfig.json': JSON.stringify(tsconfig), 'flow.mts': FLOW }, LOCAL_PACKAGES, [TYPESCRIPT]);
  const check = await installedFlowkit(dir, ['check', 'flow.mts']);
  expect([check.code, check.stderr]).toEqual([0, '']);
  const run = await installedFlowkit(dir, ['run', 'flow.mts']);
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(run.stdout).toContain('total 14');
}, 180000);

test('`npm i @flowkit/compute-batch @flowkit/datastore-s3` is all a project adds to run its steps on AWS Batch', async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const s3 = await S3TestServer.start(['flowkit']);
  const batch = await BatchTestServer.start({ queues: ['installed'], stateDelayMs: 5, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    const flow = FLOW.replace("import { FlowSpec, Parameter, step, type Inputs } from '@flowkit/core';", "import { FlowSpec, Parameter, step, type Inputs } from '@flowkit/core';\nimport { batch } from '@flowkit/compute-batch';").replace('@step square()', '@batch({ memory: 1024 }) @step square()');
    const dir = await installedProject({ 'package.json': JSON.stringify({ name: 'blank-batch', version: '1.0.0', private: true }), 'flow.ts': flow }, [...LOCAL_PACKAGES, ...BATCH_PACKAGES]);
    const env = { ...batch.env(), ...s3.env('s3://flowkit/installed'), FLOWKIT_DEFAULT_DATASTORE: 's3', FLOWKIT_BATCH_JOB_QUEUE: 'installed', FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/installed', FLOWKIT_BATCH_POLL_SECONDS: '0.1' };
    const run = await installedFlowkit(dir, ['run', 'flow.ts'], { env });
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain('total 14');
    expect(batch.jobs().map((job) => [job.tags['flowkit.step'], job.status])).toEqual([['square', 'SUCCEEDED'], ['square', 'SUCCEEDED'], ['square', 'SUCCEEDED']]);
  } finally {
    await batch.stop();
    await s3.close();
  }
}, 240000);

test('`npm i @flowkit/compute-kube @flowkit/datastore-s3` is all a project adds to run a flow `--with kubernetes`', async () => {
  const s3 = await S3TestServer.start(['flowkit']);
  const kube = await KubeTestServer.start({ stateDelayMs: 5 });
  try {
    await kube.createSecret('s3-credentials', { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    const dir = await installedProject({ 'package.json': JSON.stringify({ name: 'blank-kube', version: '1.0.0', private: true }), 'flow.ts': FLOW }, [...LOCAL_PACKAGES, ...KUBE_PACKAGES]);
    const env = { ...s3.env('s3://flowkit/installed-kube'), KUBECONFIG: kube.kubeconfig(), FLOWKIT_KUBERNETES_SECRETS: 's3-credentials', FLOWKIT_DEFAULT_DATASTORE: 's3' };
    const run = await installedFlowkit(dir, ['run', 'flow.ts', '--with', 'kubernetes'], { env });
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain('total 14');
    const created = kube.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/jobs') && r.status === 201);
    expect(created.map((r) => (r.body as { metadata: { labels: Record<string, string> } }).metadata.labels['flowkit.dev/step']).sort()).toEqual(['end', 'join', 'square', 'square', 'square', 'start']);
  } finally {
    await kube.stop();
    await s3.close();
  }
}, 240000);

test('@flowkit/tutorials installs from the registry (its dependencies resolve there) and a pulled episode runs', async () => {
  const dir = await installedProject({ 'package.json': JSON.stringify({ name: 'blank-tutorials', version: '1.0.0', private: true }) }, [...LOCAL_PACKAGES, ...TUTORIAL_PACKAGES]);
  const pulled = await installedFlowkit(dir, ['tutorials', 'pull', '--episode', '1']);
  expect([pulled.code, pulled.stderr]).toEqual([0, '']);
  const run = await installedFlowkit(dir, ['run', '01-playlist/playlist.ts', '--genre', 'comedy'], { cwd: join(dir, 'flowkit-tutorials') });
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(run.stdout).toContain('Done!');
}, 180000);

test('the example plugin of docs/plugins.md, installed from its tarball: its decorator, sidecar and command work in a strict TypeScript project', async () => {
  const tsconfig = { compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', experimentalDecorators: true, noEmit: true } };
  const files = {
    'package.json': JSON.stringify({ name: 'blank-plugin-user', version: '1.0.0', private: true }),
    'tsconfig.json': JSON.stringify(tsconfig),
    'flow.ts': TIMED_FLOW,
    'bad.ts': TIMED_FLOW.replace('TimedFlow', 'BadTimedFlow').replace('@timed()', "@timed({ artifact: 'not an identifier' })"),
    'client.js': TIMED_CLIENT,
  };
  const dir = await installedProject(files, LOCAL_PACKAGES, [join(packed, 'flowkit-plugin-step-timer-1.0.0.tgz'), TYPESCRIPT]);
  const check = await installedFlowkit(dir, ['check', 'flow.ts']);
  expect([check.code, check.stderr]).toEqual([0, '']);
  const run = await installedFlowkit(dir, ['run', 'flow.ts'], { env: { FLOWKIT_STEP_TIMER_REPORT: join(dir, 'timing.json') } });
  expect([run.code, run.stderr]).toEqual([0, '']);

  const client = await runNode(['client.js'], { cwd: dir });
  expect([client.code, client.stderr]).toEqual([0, '']);
  const seconds = JSON.parse(client.stdout) as { start: number; nap: number };
  expect([seconds.start >= 0 && seconds.start < 5, seconds.nap >= 0.3 && seconds.nap < 10]).toEqual([true, true]);

  const shown = await installedFlowkit(dir, ['step-timer', 'show', 'timing.json']);
  expect([shown.code, shown.stderr]).toEqual([0, '']);
  const [title, header, slowest, ...rest] = shown.stdout.trim().split('\n');
  expect(title).toMatch(/^TimedFlow\/\d+ succeeded in [\d.]+ s$/);
  expect(header).toMatch(/^STEP +TASKS +FAILED +TOTAL S +MAX S$/);
  expect([slowest?.split(/ +/).slice(0, 3), rest.length]).toEqual([['nap', '1', '0'], 2]);

  const bad = await installedFlowkit(dir, ['run', 'bad.ts']);
  expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([1, `@timed on step 'start': artifact must be an identifier, not "not an identifier".`]);
}, 180000);
