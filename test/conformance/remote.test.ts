import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOWKIT_BIN, REPO_ROOT } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';
import { COMPUTE_TESTS, expectEveryTestOnce, oneCombinationPerTest, testEachCombination } from '../helpers/subsets';

/**
 * The remote context: every task of the flow runs through the remote-like compute plugin
 * (test/fixtures/flowkit-plugin-remote-like) as a job in an empty directory that fetches the code package from
 * s3rver, with the local metadata provider (records merged back from the datastore). Every test that can run
 * remotely, once, on the first shape it fits, but the compute tests the batch and kubernetes contexts run (retries,
 * timeouts, crashes, logs, large artifacts, a resume); those contexts also run the graph shapes remotely, and a
 * wide fan-out of remote jobs is the bench's (`npm run bench`, its Batch and Kubernetes rows). Not here:
 * wide_foreach (1200 jobs: the scale case stays with the dev-local context), tag_mutation (its tasks change the
 * run's tags through the client, which a job away from the local records cannot reach; with the metadata service it
 * can) and run_id_file (its task reads a file the CLI wrote on this machine).
 */
const GRAPH_PREFERENCE = ['small-foreach', 'small-branch', 'single-linear', 'nested-foreach', 'foreach-in-branch', 'branch-in-foreach', 'nested-branch', 'long-linear'];
const NOT_REMOTE = ['wide_foreach', 'tag_mutation', 'run_id_file'];

describe('conformance: remote', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-remote-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = oneCombinationPerTest('remote', GRAPH_PREFERENCE, [...NOT_REMOTE, ...COMPUTE_TESTS]);
  let server: S3TestServer;

  beforeAll(async () => {
    server = await S3TestServer.start(['flowkit']);
    const role = join(workDir, 'role.json');
    writeFileSync(role, JSON.stringify({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' }));
    Object.assign(process.env, server.env('s3://flowkit/conformance-remote'), {
      FLOWKIT_PLUGINS: join(REPO_ROOT, 'test', 'fixtures', 'flowkit-plugin-remote-like'),
      FLOWKIT_REMOTE_LIKE_ROLE: role,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  test('the subset runs every test that can run remotely but those the batch and kubernetes contexts run', () => {
    expectEveryTestOnce(combos, 'remote', [...NOT_REMOTE, ...COMPUTE_TESTS]);
  });

  testEachCombination(combos, options);
});
