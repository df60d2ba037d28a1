/** S3 throughput against s3rver: FlowKit's S3 datastore against the plain SDK (objectStore.ts). */
import { Config } from '@flowkit/core/plugin';
import { S3DataStore } from '@flowkit/datastore-s3';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { S3TestServer } from '../../test/helpers/s3server';
import { LARGE_BYTES, storeThroughput, type Throughput } from './objectStore';

export async function benchS3(megabytes: number, rounds: number): Promise<Throughput> {
  const server = await S3TestServer.start(['bench']);
  const env = server.env('s3://bench/flowkit');
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY, AWS_REGION: env.AWS_REGION, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const client = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const storage = new S3DataStore('s3://bench/flowkit', new Config(env));
  try {
    return await storeThroughput(storage, {
      // PutObject for small objects, lib-storage's Upload (multipart) for the large one.
      async put(key, body) {
        if (body.length >= LARGE_BYTES) await new Upload({ client, params: { Bucket: 'bench', Key: key, Body: body }, partSize: 16 * 1024 * 1024, queueSize: 4 }).done();
        else await client.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body }));
      },
      async get(key) {
        const got = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: key }));
        return (await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).length;
      },
    }, megabytes, rounds);
  } finally {
    client.destroy();
    storage.close();
    await server.close();
  }
}
