import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combinations, runCombination } from '@flowkit/testing';
import { FLOWKIT_BIN } from '../helpers/flowkit';

/**
 * On the 100-way wide-foreach graph, the tests where a foreach's width matters (its join, lineage, resuming
 * inside it): the other templates there repeat small-foreach's paths a hundred times over, about 2,100 tasks,
 * a third of the matrix's. `npx flowkit-conformance --contexts dev-local` runs the whole matrix.
 */
const WIDE_GRAPH_TESTS = ['basic_artifact', 'basic_foreach', 'lineage', 'merge_artifacts', 'merge_artifacts_include', 'resume_foreach_inner', 'resume_foreach_join', 'runtime_dag'];

/** Every valid (graph, test) of the harness in the dev-local context, each a test of its own, but the above. */
describe('conformance: dev-local', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = combinations({ contexts: ['dev-local'] }).filter((c) => c.graph.name !== 'wide-foreach' || WIDE_GRAPH_TESTS.includes(c.template.name));

  test('the matrix covers every graph and every test', () => {
    expect(new Set(combos.map((c) => c.graph.name)).size).toBeGreaterThanOrEqual(9);
    expect(new Set(combos.map((c) => c.template.name)).size).toBeGreaterThanOrEqual(9);
    expect(combos.filter((c) => c.graph.name === 'wide-foreach').map((c) => c.template.name).sort()).toEqual(WIDE_GRAPH_TESTS);
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);
});
