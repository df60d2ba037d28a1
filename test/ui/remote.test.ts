import { flowkit, project } from '../helpers/flowkit';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { S3TestServer } from '../helpers/s3server';
import { startService, type TestService } from '../helpers/service';
import { get, startUi, type TestUi } from '../helpers/ui';

/** `flowkit ui` reads only through the client: the same page on S3 (s3rver) and the metadata service (PostgreSQL). */
const FLOW = `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class RemoteUiFlow extends FlowSpec {
  declare items: number[]; declare square: number; declare total: number;
  @step start() { this.items = [1, 2, 3]; this.next(this.body, { foreach: 'items' }); }
  @step body() {
    if (process.env.FAIL_ITEM === String(this.input)) throw new Error('item ' + this.input + ' refused');
    this.square = (this.input as number) ** 2;
    console.log('square', this.square);
    this.next(this.join);
  }
  @step join(inputs: Inputs<RemoteUiFlow>) { this.total = inputs.reduce((sum, i) => sum + i.square, 0); this.next(this.end); }
  @step end() {}
}`;

let s3: S3TestServer;
let postgres: TestPostgres;
let service: TestService;
let ui: TestUi;

beforeAll(async () => {
  [s3, postgres] = await Promise.all([S3TestServer.start(), startPostgres()]);
  service = await startService({ databaseUrl: await postgres.createDatabase('ui') });
  const { dir, env: local } = project({ 'flow.ts': FLOW });
  const env = { ...local, ...s3.env('s3://flowkit/ui'), FLOWKIT_DEFAULT_DATASTORE: 's3', FLOWKIT_SERVICE_URL: service.url, FLOWKIT_DEFAULT_METADATA: 'service' };
  expect((await flowkit(['run', 'flow.ts'], { cwd: dir, env })).code).toBe(0);
  expect((await flowkit(['run', 'flow.ts'], { cwd: dir, env: { ...env, FAIL_ITEM: '2' } })).code).toBe(1);
  ui = await startUi({ cwd: dir, env });
}, 180000);

afterAll(async () => {
  await ui?.stop();
  await service?.stop();
  await Promise.all([postgres?.stop(), s3?.close()]);
});

test('flows, runs, the stored graph, tasks, logs and artifacts come from S3 and the metadata service', async () => {
  const runs = (await get(ui.url, '/api/flows/RemoteUiFlow/runs')).body.runs;
  expect(runs.map((r: { id: string; status: string }) => r.status)).toEqual(['failed', 'succeeded']);
  const [failedId, okId] = runs.map((r: { id: string }) => r.id);

  const ok = (await get(ui.url, `/api/flows/RemoteUiFlow/runs/${okId}`)).body;
  expect(ok.steps.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
    ['start', 'succeeded'],
    ['body', 'succeeded'],
    ['join', 'succeeded'],
    ['end', 'succeeded'],
  ]);
  const join = ok.steps[2].tasks[0].id;
  expect((await get(ui.url, `/api/flows/RemoteUiFlow/runs/${okId}/steps/join/tasks/${join}/artifacts/total`)).body).toMatchObject({ name: 'total', type: 'number', preview: '14' });
  const body = ok.steps[1].tasks.find((t: { index: number }) => t.index === 1);
  expect((await get(ui.url, `/api/flows/RemoteUiFlow/runs/${okId}/steps/body/tasks/${body.id}/logs/stdout`)).body.text).toBe('square 4\n');

  const failed = (await get(ui.url, `/api/flows/RemoteUiFlow/runs/${failedId}`)).body;
  expect(failed.steps.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
    ['start', 'succeeded'],
    ['body', 'failed'],
    ['join', 'pending'],
    ['end', 'pending'],
  ]);
  expect(failed.edges).toEqual([
    ['start', 'body'],
    ['body', 'join'],
    ['join', 'end'],
  ]);
  const refused = failed.steps[1].tasks.find((t: { state: string }) => t.state === 'failed');
  const task = (await get(ui.url, `/api/flows/RemoteUiFlow/runs/${failedId}/steps/body/tasks/${refused.id}`)).body;
  expect(task.attempts).toEqual([expect.objectContaining({ status: 'failed', error: 'Error: item 2 refused' })]);
});
