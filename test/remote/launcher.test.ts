import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { flowkit, project, REPO_ROOT } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/**
 * The launcher seam, driven through a compute plugin written only against the public API
 * (test/fixtures/flowkit-plugin-remote-like): every task runs as a "job" in an empty directory with the
 * image's and the cluster role's environment plus what the seam hands it, and fetches the code package
 * from s3rver through the bootstrap.
 */
const FLOW = `
import { FlowSpec, step, type Inputs } from '@flowkit/core';

export default class RemoteFlow extends FlowSpec {
  declare items: number[];
  declare squared: number;
  declare total: number;
  declare env: Record<string, string>;
  declare cwd: string;

  @step start() {
    this.items = [1, 2, 3];
    this.env = { ...process.env } as Record<string, string>;
    this.cwd = process.cwd();
    this.next(this.square, { foreach: 'items' });
  }
  @step square() {
    this.squared = (this.input as number) ** 2;
    console.error('squared', this.squared, JSON.stringify(process.env));
    this.next(this.join);
  }
  @step join(inputs: Inputs<RemoteFlow>) {
    this.total = inputs.reduce((sum, input) => sum + input.squared, 0);
    this.mergeArtifacts(inputs, { exclude: ['squared'] });
    this.next(this.end);
  }
  @step end() {
    console.log('total', this.total);
  }
}
`;

const PLUGIN = join(REPO_ROOT, 'test', 'fixtures', 'flowkit-plugin-remote-like');
const SENTINEL = `host-secret-${randomBytes(8).toString('hex')}`;

describe('remote launcher seam', () => {
  let server: S3TestServer;
  let s3: S3Client;
  const { dir, root, env: projectEnv } = project({ 'remote_flow.ts': FLOW });
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await S3TestServer.start(['flowkit']);
    s3 = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    // What the cluster grants its jobs, as a job role would: the only credentials a task has.
    const role = join(dir, 'role.json');
    writeFileSync(role, JSON.stringify({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' }));
    env = { ...projectEnv, ...server.env('s3://flowkit/remote'), FLOWKIT_DEFAULT_DATASTORE: 's3', FLOWKIT_PLUGINS: PLUGIN, FLOWKIT_REMOTE_LIKE_ROLE: role, HOST_SECRET_SENTINEL: SENTINEL };
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.close();
  });

  async function dump(runId: string, step: string): Promise<Record<string, unknown>> {
    const file = join(dir, `${step}.json`);
    const result = await flowkit(['dump', 'RemoteFlow', `${runId}/${step}`, '--file', file], { cwd: dir, env });
    expect(result.stderr).toBe('');
    // One entry per task, pathspec -> artifact values.
    return Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>)[0] as Record<string, unknown>;
  }

  test('a foreach and its join run as jobs that fetch the code package and record themselves', async () => {
    const run = await flowkit(['run', 'remote_flow.ts', '--datastore', 's3', '--with', 'remote', '--run-id-file', 'run-id'], { cwd: dir, env });
    expect([run.code, run.stdout + run.stderr]).toEqual([0, expect.not.stringMatching(/error|failed/i)]);
    // Output streams back from the jobs while they run.
    expect(run.stdout).toMatch(/\(remote-like job-\d+\).*total 14/);
    const runId = readFileSync(join(dir, 'run-id'), 'utf8').trim();

    const end = await dump(runId, 'end');
    expect(end.total).toBe(14);
    // The task ran in the job's own empty directory, with no host variable the seam did not hand it.
    expect(end.cwd).not.toBe(dir);
    const taskEnv = end.env as Record<string, string>;
    expect(taskEnv.HOST_SECRET_SENTINEL).toBeUndefined();
    expect(taskEnv.FLOWKIT_DATASTORE_SYSROOT_LOCAL).toBeUndefined();
    expect(taskEnv.FLOWKIT_S3_CACHE_DIR).toBeUndefined();
    expect(taskEnv.FLOWKIT_DEFAULT_DATASTORE).toBe('s3');

    // The tasks saved their own logs; the local records were merged in from the datastore.
    const logs = await flowkit(['logs', 'RemoteFlow', `${runId}/square`, '--stderr'], { cwd: dir, env });
    for (const value of [1, 4, 9]) expect(logs.stdout).toContain(`squared ${value} `);
    const status = await flowkit(['status', 'RemoteFlow'], { cwd: dir, env });
    expect(status.stdout).toMatch(new RegExp(`${runId}\\s.*succeeded`));
    const joinDir = join(root, 'RemoteFlow', runId, 'join');
    const [joinTask] = readdirSync(joinDir).filter((name) => /^\d+$/.test(name));
    expect(JSON.parse(readFileSync(join(joinDir, joinTask as string, '_meta', 'attempt_0.json'), 'utf8')).status).toBe('succeeded');

    // The sentinel is nowhere: not in any log, artifact or code package object the run stored.
    const keys = await server.keys('remote/RemoteFlow/');
    // The bundle, its source map and the manifest listing them.
    expect(keys.filter((key) => key.includes('/_code/')).map((key) => key.slice(key.lastIndexOf('.'))).sort()).toEqual(['.cjs', '.json', '.map']);
    for (const key of keys) expect([key, (await server.text(key)).includes(SENTINEL)]).toEqual([key, false]);
    expect(logs.stdout).not.toContain(SENTINEL);
  }, 120000);

  test('a job the backend refuses to submit fails its attempt with the backend\'s reason, and the run can be resumed', async () => {
    const run = await flowkit(['run', 'remote_flow.ts', '--with', 'remote:queue=missing', '--run-id-file', 'refused-id'], { cwd: dir, env });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain("could not be launched: job queue 'missing' does not exist");
    const runId = readFileSync(join(dir, 'refused-id'), 'utf8').trim();
    const [task] = readdirSync(join(root, 'RemoteFlow', runId, 'start')).filter((name) => /^\d+$/.test(name));
    const attempt = JSON.parse(readFileSync(join(root, 'RemoteFlow', runId, 'start', task as string, '_meta', 'attempt_0.json'), 'utf8'));
    expect(attempt).toMatchObject({ status: 'failed', error: "Task could not be launched: job queue 'missing' does not exist" });
    const resumed = await flowkit(['resume', 'remote_flow.ts', '--origin-run-id', runId, '--with', 'remote'], { cwd: dir, env });
    expect(resumed.code).toBe(0);
  }, 120000);

  test('the plugin refuses a datastore its jobs cannot reach, before any task starts', async () => {
    const run = await flowkit(['run', 'remote_flow.ts', '--datastore', 'local', '--with', 'remote'], { cwd: dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('@remote jobs cannot reach the local datastore; run with --datastore s3');
  }, 60000);

  test('a command a plugin adds prepares the flow and reads each step\'s launch plan, as a deployer would', async () => {
    const flow = FLOW.replace('  @step square() {', '  @retry({ times: 2 }) @resources({ cpu: 2 }) @step square() {').replace("import { FlowSpec, step,", "import { FlowSpec, resources, retry, step,");
    writeFileSync(join(dir, 'planned_flow.ts'), flow);
    const result = await flowkit(['remote-like', 'plan', 'planned_flow.ts', '--with', 'remote:queue=nightly'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    const plan = JSON.parse(result.stdout) as { flow: string; codePackage: string; steps: Array<Record<string, unknown>> };
    expect(plan.flow).toBe('RemoteFlow');
    expect(readdirSync(join(root, '_code'))).toContain(`${plan.codePackage}.cjs`);
    expect(plan.steps.map((s) => s.step)).toEqual(['start', 'square', 'join', 'end']);
    expect(plan.steps[1]).toEqual({ step: 'square', compute: { name: 'remote', queue: 'nightly' }, resources: { cpu: 2, memory: 4096, gpu: 0 }, userAttempts: 3 });
    expect(plan.steps[0]).toMatchObject({ compute: { name: 'remote', queue: 'nightly' }, userAttempts: 1 });
    const bad = await flowkit(['remote-like', 'plan', 'planned_flow.ts', '--with', 'remote:zone=eu'], { cwd: dir, env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("@remote has no attribute 'zone'");
  }, 60000);

  // Last: it leaves the flow's code package in S3 corrupted.
  test('a code package whose bytes do not match its sha256 is refused by the bootstrap', async () => {
    const keys = (await server.keys('remote/RemoteFlow/_code/')).filter((key) => key.endsWith('.cjs'));
    expect(keys.length).toBe(1);
    await s3.send(new PutObjectCommand({ Bucket: 'flowkit', Key: keys[0], Body: 'process.exit(0)' }));
    const run = await flowkit(['run', 'remote_flow.ts', '--datastore', 's3', '--with', 'remote'], { cwd: dir, env });
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/the code package at .*_code\/[0-9a-f]{64}\.cjs has sha256 [0-9a-f]{64}, not [0-9a-f]{64}: refusing to run it/);
  }, 120000);
});
