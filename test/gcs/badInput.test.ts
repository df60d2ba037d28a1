import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project, type CliResult } from '../helpers/flowkit';
import { gcsServerForThisFile, gcsEnv } from './gcsServer';

const FLOW = `
import { FlowSpec, step } from '@flowkit/core';
export default class BadGcsFlow extends FlowSpec {
  declare value: number;
  @step start() { this.value = 1; this.next(this.end); }
  @step end() { console.log('value', this.value); }
}`;

const server = gcsServerForThisFile(['flowkit']);

/** Runs the flow with extra arguments and environment; nothing may have started or been recorded. */
async function refused(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const { dir, root, env } = project({ 'flow.ts': FLOW });
  const result = await flowkit(['run', 'flow.ts', '--datastore', 'gcs', ...args], { cwd: dir, env: { ...env, ...gcsEnv(server(), 'gs://flowkit/bad'), ...extraEnv } });
  expect(result.code).toBe(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).not.toContain('Task is starting');
  expect(existsSync(join(root, 'BadGcsFlow', '1'))).toBe(false);
  return result;
}

describe('bad GCS input: one line naming the thing, with the fix, before any task starts', () => {
  test('a missing bucket', async () => {
    const result = await refused(['--datastore-root', 'gs://no-such-bucket/runs']);
    expect(result.stderr).toContain("GCS bucket 'no-such-bucket' does not exist (datastore root gs://no-such-bucket/runs).");
    expect(result.stderr).toContain('hint: create the bucket, or point --datastore-root / FLOWKIT_DATASTORE_SYSROOT_GCS at one that exists');
  });

  test.each([
    [401, 'Invalid Credentials'],
    [403, 'The caller does not have storage.objects.get access'],
  ] as const)('credentials refused with %i', async (status, message) => {
    server().refuseCredentials(status);
    try {
      const result = await refused([]);
      expect(result.stderr).toContain(`Access to GCS bucket 'flowkit' was refused (datastore root gs://flowkit/bad): ${message}`);
      expect(result.stderr).toContain('hint: check the identity Application Default Credentials find (GOOGLE_APPLICATION_CREDENTIALS');
    } finally {
      server().refuseCredentials(undefined);
    }
  });

  test.each([
    ['gs://', '"gs://" is not a GCS URL: it names no bucket.'],
    ['gs:///runs', '"gs:///runs" is not a GCS URL: it names no bucket.'],
    ['gs://Not_A_Bucket/runs', '"gs://Not_A_Bucket/runs" is not a GCS URL: "Not_A_Bucket" is not a bucket name.'],
  ])('the root %s', async (root, message) => {
    const result = await refused(['--datastore-root', root]);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('hint: write gs://bucket/prefix (bucket: 3 to 63 lowercase letters');
  });

  test('no root at all, and a bad setting', async () => {
    const none = await refused([], { FLOWKIT_DATASTORE_SYSROOT_GCS: '' });
    expect(none.stderr).toContain('--datastore gcs needs a root, and none is configured.');
    const endpoint = await refused([], { FLOWKIT_GCS_ENDPOINT_URL: 'localhost:4443' });
    expect(endpoint.stderr).toContain('FLOWKIT_GCS_ENDPOINT_URL=localhost:4443 is not an endpoint URL.');
  });
});
