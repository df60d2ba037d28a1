import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combinations, runCombination } from '@flowkit/testing';
import { FLOWKIT_BIN } from '../helpers/flowkit';

/** Every valid (graph, test) of the harness in the dev-local context, each a test of its own. */
describe('conformance: dev-local', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = combinations({ contexts: ['dev-local'] });

  test('the matrix covers every graph and every test', () => {
    expect(new Set(combos.map((c) => c.graph.name)).size).toBeGreaterThanOrEqual(9);
    expect(new Set(combos.map((c) => c.template.name)).size).toBeGreaterThanOrEqual(9);
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);
});
