import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOWKIT_BIN } from '../helpers/flowkit';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { startService, type TestService } from '../helpers/service';
import { expectEveryTestOnce, oneCombinationPerTest, testEachCombination } from '../helpers/subsets';

/**
 * Every test of the matrix once in the service context (local datastore, records in a metadata service on a real
 * PostgreSQL), each on the first of these graph shapes it runs on. The whole matrix passes too
 * (`flowkit-conformance --contexts service`), but graph shapes exercise the scheduler and the datastore, which the
 * dev-local matrix covers; running them all again would double the suite's time for little more of the records.
 * Not wide_foreach: the service's load from many tasks is the bench's (`npm run bench`, the metadata service rows).
 */
const GRAPH_PREFERENCE = ['single-linear', 'small-foreach', 'small-branch', 'nested-foreach', 'foreach-in-branch', 'branch-in-foreach', 'nested-branch', 'long-linear'];

describe('conformance: service', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-service-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = oneCombinationPerTest('service', GRAPH_PREFERENCE, ['wide_foreach']);
  let postgres: TestPostgres;
  let service: TestService;

  beforeAll(async () => {
    postgres = await startPostgres();
    service = await startService({ databaseUrl: await postgres.createDatabase('conformance') });
    // Flows run with it (their environment starts from this one) and the client checker reads through it.
    process.env.FLOWKIT_SERVICE_URL = service.url;
  }, 120000);

  afterAll(async () => {
    await service?.stop();
    await postgres?.stop();
  });

  test('the service context runs every test of the matrix', () => {
    expectEveryTestOnce(combos, 'service', ['wide_foreach']);
    expect(combos.every((c) => c.context.env.FLOWKIT_DEFAULT_METADATA === 'service')).toBe(true);
  });

  testEachCombination(combos, options);
});
