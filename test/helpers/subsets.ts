import { combinations, runCombination, type Combination } from '@flowkit/testing';

/**
 * Every test of the matrix once in `context` (but those in `exclude`), each on the first graph shape of
 * `graphPreference` it runs on, else on its first shape.
 */
export function oneCombinationPerTest(context: string, graphPreference: string[], exclude: string[] = []): Combination[] {
  const rank = (c: Combination) => {
    const preferred = graphPreference.indexOf(c.graph.name);
    return preferred === -1 ? graphPreference.length : preferred;
  };
  const chosen = new Map<string, Combination>();
  for (const combo of combinations({ contexts: [context] }).sort((a, b) => rank(a) - rank(b))) {
    if (!exclude.includes(combo.template.name) && !chosen.has(combo.template.name)) chosen.set(combo.template.name, combo);
  }
  return [...chosen.values()];
}

/** What a oneCombinationPerTest context checks first: it runs each test of the matrix but `excluded` once. */
export function expectEveryTestOnce(combos: Combination[], context: string, excluded: string[] = []): void {
  const every = [...new Set(combinations({ contexts: [context] }).map((c) => c.template.name))];
  expect(combos.map((c) => c.template.name).sort()).toEqual(every.filter((name) => !excluded.includes(name)).sort());
}

/**
 * The tests whose outcome depends on the graph's shape (artifacts flowing through joins, lineage, the DAG the
 * runtime records, resuming inside foreaches and branches): the dev-local context runs them on every shape.
 * The rest check one behaviour (logs, tags, parameters, decorators, failures...) that each task has whatever
 * the graph: they run on two shapes, one with a foreach and one without, rotated so every shape gets its share.
 */
export const SHAPE_TESTS = ['basic_artifact', 'basic_foreach', 'lineage', 'merge_artifacts', 'merge_artifacts_include', 'runtime_dag', 'resume_foreach_inner', 'resume_foreach_join', 'resume_foreach_split', 'resume_succeeded_step', 'resume_originpath'];
/** The shape tests also run on the 100-way foreach: its join, its merge, resuming inside it. */
export const WIDE_SHAPE_TESTS = ['basic_foreach', 'merge_artifacts', 'resume_foreach_join'];
const FOREACH_SHAPES = ['small-foreach', 'nested-foreach', 'foreach-in-branch', 'branch-in-foreach'];
const PLAIN_SHAPES = ['single-linear', 'small-branch', 'long-linear', 'nested-branch'];

export function shapeSubset(context: string): Combination[] {
  const all = combinations({ contexts: [context] });
  const tests = [...new Set(all.map((c) => c.template.name))];
  return tests.flatMap((test, i) => {
    const fits = all.filter((c) => c.template.name === test);
    if (SHAPE_TESTS.includes(test)) return fits.filter((c) => c.graph.name !== 'wide-foreach' || WIDE_SHAPE_TESTS.includes(test));
    const shapes = [FOREACH_SHAPES[i % FOREACH_SHAPES.length], PLAIN_SHAPES[i % PLAIN_SHAPES.length]];
    const chosen = fits.filter((c) => shapes.includes(c.graph.name));
    return chosen.length > 0 ? chosen : fits.slice(0, 1);
  });
}

/**
 * The conformance subset of a datastore context (s3, gcs): the tests whose tasks use the datastore in a way of their
 * own (artifacts, foreach inputs, joins, IncludeFile, logs, parameters, large objects, attempts, crashes, lineage,
 * resume's clones), once each on the first of a foreach and a branch graph they fit. The rest (decorators, tags,
 * parameters' parsing, names) take those same paths, which the dev-local context runs them through.
 */
export const DATASTORE_TESTS = ['basic_artifact', 'basic_foreach', 'basic_include', 'basic_log', 'basic_parameters', 'catch_retry', 'detect_segfault', 'large_artifact', 'large_mflog', 'lineage', 'merge_artifacts', 'resume_foreach_join', 'resume_originpath', 'task_exception'];

export function datastoreSubset(context: string): Combination[] {
  return oneCombinationPerTest(context, ['small-foreach', 'small-branch']).filter((c) => DATASTORE_TESTS.includes(c.template.name));
}

/**
 * The conformance subset of a compute context (batch, kubernetes): basic_artifact on every graph shape but the
 * 100-way one (a wide fan-out of jobs is the bench's), then the tests where compute matters (retries, catch,
 * timeouts, crashes, logs, resume, large artifacts) on the first shape each fits.
 */
export const COMPUTE_SHAPES = ['small-foreach', 'small-branch', 'single-linear', 'nested-foreach', 'foreach-in-branch', 'branch-in-foreach', 'nested-branch', 'long-linear'];
export const COMPUTE_TESTS = ['catch_retry', 'timeout_decorator', 'detect_segfault', 'task_exception', 'basic_log', 'large_artifact', 'resume_foreach_join'];

export function computeSubset(context: string, tests = COMPUTE_TESTS): Combination[] {
  const all = combinations({ contexts: [context] });
  const chosen = all.filter((c) => c.template.name === 'basic_artifact' && COMPUTE_SHAPES.includes(c.graph.name));
  for (const test of tests) {
    const first = COMPUTE_SHAPES.map((shape) => all.find((c) => c.template.name === test && c.graph.name === shape)).find(Boolean);
    if (first) chosen.push(first);
  }
  return chosen;
}

/** What each compute context's file checks first: its subset is the one above. */
export function expectComputeSubset(combos: Combination[], tests = COMPUTE_TESTS): void {
  expect(combos.map((c) => c.template.name).filter((name) => name !== 'basic_artifact')).toEqual(tests);
  expect(combos.filter((c) => c.template.name === 'basic_artifact').map((c) => c.graph.name).sort()).toEqual([...COMPUTE_SHAPES].sort());
}

/**
 * How long one combination may take: a wide foreach's flow runs for minutes on a loaded 2-core CI machine (jest runs
 * a few at once in each worker), and a hung one is caught all the same.
 */
const COMBINATION_TIMEOUT_MS = 600000;

/** Each combination as a test of its own, a few at once (jest's maxConcurrency). */
export function testEachCombination(combos: Combination[], options: { workDir: string; datastoreRoot: string; flowkitBin: string }): void {
  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, COMBINATION_TIMEOUT_MS);
}
