import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeSubset, expectComputeSubset, testEachCombination } from './subsets';
import { FLOWKIT_BIN } from './flowkit';
import { S3TestServer } from './s3server';

/** A compute backend's test server, started for one conformance file, and the settings that point runs at it. */
export interface ComputeBackend {
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The conformance file of a compute context (batch, kubernetes): s3rver holds the datastore, `startBackend`
 * starts the backend's test server, and the context's subset (subsets.ts) runs against both.
 */
export function describeComputeContext(context: string, startBackend: () => Promise<ComputeBackend>): void {
  describe(`conformance: ${context}`, () => {
    const workDir = mkdtempSync(join(tmpdir(), `flowkit-conformance-${context}-`));
    const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
    const combos = computeSubset(context);
    let s3: S3TestServer;
    let backend: ComputeBackend;

    beforeAll(async () => {
      s3 = await S3TestServer.start(['flowkit']);
      backend = await startBackend();
      // One credential chain reaches both servers: s3rver checks its credentials, the Batch test server takes any.
      Object.assign(process.env, backend.env, s3.env(`s3://flowkit/conformance-${context}`));
    });
    afterAll(async () => {
      await backend.stop();
      await s3.close();
    });

    test('the subset covers every graph shape but the widest, and each compute test', () => {
      expectComputeSubset(combos);
    });

    testEachCombination(combos, options);
  });
}
