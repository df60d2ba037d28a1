import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combinations, flowClassName, runCombination } from '@flowkit/testing';
import { FLOWKIT_BIN, listFiles } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/**
 * The s3 context against a real s3rver, on a subset: every test on a branch and a foreach graph (linear
 * steps, split/join and foreach, so every way a task reads and writes artifacts), plus, for a test that
 * needs another shape, its first graph. The other graphs repeat those shapes with more tasks and would
 * add ten minutes; so would wide_foreach, whose 1200 tasks take the same paths as a small foreach's
 * (s3rver spends 30 ms of CPU per task). `npx flowkit-conformance --contexts s3` runs them all by hand.
 */
describe('conformance: s3', () => {
  const S3_GRAPHS = ['small-branch', 'small-foreach'];
  const SCALE_TESTS = ['wide_foreach'];
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-s3-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const everyShape = combinations({ contexts: ['s3'] }).filter((c) => !SCALE_TESTS.includes(c.template.name));
  const combos = combinations({ contexts: ['s3'], graphs: S3_GRAPHS }).filter((c) => !SCALE_TESTS.includes(c.template.name));
  for (const combo of everyShape) {
    if (!combos.some((c) => c.template.name === combo.template.name)) combos.push(combo);
  }
  let server: S3TestServer;

  beforeAll(async () => {
    server = await S3TestServer.start(['flowkit']);
    // The flows, the CLI checker and the client checker all find the server through the environment.
    Object.assign(process.env, server.env('s3://flowkit/conformance'));
  });
  afterAll(async () => {
    await server.close();
  });

  test('the subset covers every test', () => {
    expect(new Set(combos.map((c) => c.template.name))).toEqual(new Set(everyShape.map((c) => c.template.name)));
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);

  test('their tasks were recorded in S3, and no artifact went to the local root', async () => {
    for (const combo of combos) {
      const keys = await server.keys(`conformance/${flowClassName(combo.graph, combo.template)}/`);
      expect([combo.id, keys.some((key) => /\/start\/\d+\/\d+\.DONE$/.test(key))]).toEqual([combo.id, true]);
    }
    expect(listFiles(options.datastoreRoot).filter((file) => file.split('/')[1] === 'data')).toEqual([]);
  });
});
