/** GCS throughput against the GCS test server: FlowKit's GCS datastore against the plain @google-cloud/storage client (objectStore.ts). */
import { Config } from '@flowkit/core/plugin';
import { GcsDataStore } from '@flowkit/datastore-gcs';
import { GcsTestServer } from '@flowkit/test-servers';
import { Storage } from '@google-cloud/storage';
import { LARGE_BYTES, storeThroughput, type Throughput } from './objectStore';

export async function benchGcs(megabytes: number, rounds: number): Promise<Throughput> {
  const server = await GcsTestServer.start({ buckets: ['bench'] });
  const storage = new GcsDataStore('gs://bench/flowkit', new Config(server.env()));
  const bucket = new Storage({ projectId: 'bench', apiEndpoint: server.url }).bucket('bench');
  try {
    return await storeThroughput(storage, {
      // One request for small objects, a resumable upload in 16 MB chunks for the large one.
      put: (key, body) => bucket.file(key).save(body, { resumable: body.length >= LARGE_BYTES, chunkSize: 16 * 1024 * 1024 }),
      get: async (key) => (await bucket.file(key).download())[0].length,
    }, megabytes, rounds);
  } finally {
    storage.close();
    await server.stop();
  }
}
