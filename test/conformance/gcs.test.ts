import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowClassName } from '@flowkit/testing';
import { FLOWKIT_BIN, listFiles } from '../helpers/flowkit';
import { gcsServerForThisFile, gcsEnv } from '../gcs/gcsServer';
import { DATASTORE_TESTS, datastoreSubset, testEachCombination } from '../helpers/subsets';

/**
 * The gcs context against the GCS test server: the datastore tests, as in s3.test.ts.
 * `npx flowkit-conformance --contexts gcs` runs them all by hand against a server given in the environment.
 */
describe('conformance: gcs', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-gcs-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = datastoreSubset('gcs');
  const server = gcsServerForThisFile(['flowkit']);

  beforeAll(async () => {
    // The flows, the CLI checker and the client checker all find the server through the environment.
    Object.assign(process.env, gcsEnv(server(), 'gs://flowkit/conformance'));
  });

  test('the subset runs each datastore test once', () => {
    expect(combos.map((c) => c.template.name).sort()).toEqual([...DATASTORE_TESTS].sort());
  });

  testEachCombination(combos, options);

  test('their tasks were recorded in GCS, and no artifact went to the local root', () => {
    for (const combo of combos) {
      const keys = server().keys('flowkit', `conformance/${flowClassName(combo.graph, combo.template)}/`);
      expect([combo.id, keys.some((key) => /\/start\/\d+\/\d+\.DONE$/.test(key))]).toEqual([combo.id, true]);
    }
    expect(listFiles(options.datastoreRoot).filter((file) => file.split('/')[1] === 'data')).toEqual([]);
  });
});
