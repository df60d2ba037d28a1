import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowClassName } from '@flowkit/testing';
import { FLOWKIT_BIN, listFiles } from '../helpers/flowkit';
import { gcsServerForThisFile, gcsEnv } from '../gcs/gcsServer';
import { expectEveryTestOnce, oneCombinationPerTest, testEachCombination } from '../helpers/subsets';

/**
 * The gcs context against the GCS test server: every test once, on the first of a foreach and a branch graph
 * it fits (else its first graph); not wide_foreach (as in s3.test.ts).
 * `npx flowkit-conformance --contexts gcs` runs them all by hand against a server given in the environment.
 */
describe('conformance: gcs', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-gcs-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = oneCombinationPerTest('gcs', ['small-foreach', 'small-branch'], ['wide_foreach']);
  const server = gcsServerForThisFile(['flowkit']);

  beforeAll(async () => {
    // The flows, the CLI checker and the client checker all find the server through the environment.
    Object.assign(process.env, gcsEnv(server(), 'gs://flowkit/conformance'));
  });

  test('the subset covers every test but wide_foreach', () => {
    expectEveryTestOnce(combos, 'gcs', ['wide_foreach']);
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
