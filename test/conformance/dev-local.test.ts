import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combinations } from '@flowkit/testing';
import { FLOWKIT_BIN } from '../helpers/flowkit';
import { SHAPE_TESTS, WIDE_SHAPE_TESTS, shapeSubset, testEachCombination } from '../helpers/subsets';

/**
 * The dev-local context: every test of the harness, the shape tests on every graph shape and the others on two
 * (test/helpers/subsets.ts). `npx flowkit-conformance --contexts dev-local` runs the whole matrix, 255 flows.
 */
describe('conformance: dev-local', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = shapeSubset('dev-local');

  test('the subset runs every test, the shape tests on every shape, and every shape many times', () => {
    const all = combinations({ contexts: ['dev-local'] });
    expect(new Set(combos.map((c) => c.template.name))).toEqual(new Set(all.map((c) => c.template.name)));
    for (const test of SHAPE_TESTS) {
      const shapes = all.filter((c) => c.template.name === test && (c.graph.name !== 'wide-foreach' || WIDE_SHAPE_TESTS.includes(test)));
      expect([test, combos.filter((c) => c.template.name === test).length]).toEqual([test, shapes.length]);
    }
    const perShape = new Map<string, number>();
    for (const combo of combos) perShape.set(combo.graph.name, (perShape.get(combo.graph.name) ?? 0) + 1);
    expect(perShape.size).toBe(9);
    for (const [shape, count] of perShape) expect([shape, count >= (shape === 'wide-foreach' ? WIDE_SHAPE_TESTS.length : 8)]).toEqual([shape, true]);
  });

  testEachCombination(combos, options);
});
