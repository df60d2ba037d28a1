import { join } from 'node:path';
import { REPO_ROOT, flowkit, project } from '../helpers/flowkit';
import { gcsServerForThisFile, gcsEnv } from './gcsServer';

const FLOW = `
import { FlowSpec, step } from '@flowkit/core';
export default class FarFlow extends FlowSpec {
  declare where: string;
  @step start() { this.where = process.cwd(); this.next(this.end); }
  @step end() { console.log('start ran in', this.where.includes('flowkit-remote-job-') ? 'a job' : 'this directory'); }
}`;

const server = gcsServerForThisFile(['flowkit']);

describe('remote tasks on GCS', () => {
  test('jobs with no credentials fetch the code package through V4 signed URLs and record themselves in GCS', async () => {
    const { dir, env } = project({ 'far.ts': FLOW });
    // A compute plugin on the public launcher seam: each task is a job in an empty directory, given only what the seam hands it.
    const remote = { FLOWKIT_PLUGINS: join(REPO_ROOT, 'test', 'fixtures', 'flowkit-plugin-remote-like') };
    const result = await flowkit(['run', 'far.ts', '--datastore', 'gcs', '--with', 'remote'], { cwd: dir, env: { ...env, ...gcsEnv(server(), 'gs://flowkit/remote'), ...remote } });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('start ran in a job');
    const signed = server().requests().filter((r) => r.path.startsWith('/flowkit/remote/FarFlow/_code/') && r.path.includes('X-Goog-Signature='));
    // The manifest, the package and its source map, once per task.
    expect(signed.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(server().keys('flowkit', 'remote/FarFlow/1/end/')).toEqual(expect.arrayContaining(['remote/FarFlow/1/end/2/0.DONE']));
  }, 120000);
});
