import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowClassName } from '@flowkit/testing';
import { FLOWKIT_BIN, listFiles } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';
import { DATASTORE_TESTS, datastoreSubset, testEachCombination } from '../helpers/subsets';

/**
 * The s3 context against a real s3rver: the datastore tests (test/helpers/subsets.ts), so every way a task reads and
 * writes the datastore goes through S3. Other graph shapes repeat those paths with more tasks, and run on S3 in the
 * remote, batch and kubernetes contexts. `npx flowkit-conformance --contexts s3` runs them all by hand.
 */
describe('conformance: s3', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-s3-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = datastoreSubset('s3');
  let server: S3TestServer;

  beforeAll(async () => {
    server = await S3TestServer.start(['flowkit']);
    // The flows, the CLI checker and the client checker all find the server through the environment.
    Object.assign(process.env, server.env('s3://flowkit/conformance'));
  });
  afterAll(async () => {
    await server.close();
  });

  test('the subset runs each datastore test once', () => {
    expect(combos.map((c) => c.template.name).sort()).toEqual([...DATASTORE_TESTS].sort());
  });

  testEachCombination(combos, options);

  test('their tasks were recorded in S3, and no artifact went to the local root', async () => {
    for (const combo of combos) {
      const keys = await server.keys(`conformance/${flowClassName(combo.graph, combo.template)}/`);
      expect([combo.id, keys.some((key) => /\/start\/\d+\/\d+\.DONE$/.test(key))]).toEqual([combo.id, true]);
    }
    expect(listFiles(options.datastoreRoot).filter((file) => file.split('/')[1] === 'data')).toEqual([]);
  });
});
