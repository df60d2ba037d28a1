import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combinations, flowClassName, runCombination, type Combination } from '@flowkit/testing';
import { FLOWKIT_BIN, listFiles } from '../helpers/flowkit';
import { gcsServerForThisFile, gcsEnv } from '../gcs/gcsServer';

/**
 * The gcs context against the GCS test server: every test once, on the first of a foreach and a branch graph
 * it fits (else its first graph); not wide_foreach. The store shares all but its requests with S3's
 * (@flowkit/datastore-objects), which the s3 context covers on both graphs.
 * `npx flowkit-conformance --contexts gcs` runs them all by hand against a server given in the environment.
 */
describe('conformance: gcs', () => {
  const GRAPH_PREFERENCE = ['small-foreach', 'small-branch'];
  const SCALE_TESTS = ['wide_foreach'];
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-gcs-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const everyShape = combinations({ contexts: ['gcs'] }).filter((c) => !SCALE_TESTS.includes(c.template.name));
  const rank = (c: Combination) => {
    const preferred = GRAPH_PREFERENCE.indexOf(c.graph.name);
    return preferred === -1 ? GRAPH_PREFERENCE.length : preferred;
  };
  const combos: Combination[] = [];
  for (const combo of [...everyShape].sort((a, b) => rank(a) - rank(b))) {
    if (!combos.some((c) => c.template.name === combo.template.name)) combos.push(combo);
  }
  const server = gcsServerForThisFile(['flowkit']);

  beforeAll(async () => {
    // The flows, the CLI checker and the client checker all find the server through the environment.
    Object.assign(process.env, gcsEnv(server(), 'gs://flowkit/conformance'));
  });

  test('the subset covers every test', () => {
    expect(new Set(combos.map((c) => c.template.name))).toEqual(new Set(everyShape.map((c) => c.template.name)));
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);

  test('their tasks were recorded in GCS, and no artifact went to the local root', () => {
    for (const combo of combos) {
      const keys = server().keys('flowkit', `conformance/${flowClassName(combo.graph, combo.template)}/`);
      expect([combo.id, keys.some((key) => /\/start\/\d+\/\d+\.DONE$/.test(key))]).toEqual([combo.id, true]);
    }
    expect(listFiles(options.datastoreRoot).filter((file) => file.split('/')[1] === 'data')).toEqual([]);
  });
});
