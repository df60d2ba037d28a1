/**
 * S3 throughput: the same artifacts (many small Buffers and one large Float64Array) stored and read back
 * through FlowKit's S3 datastore and through the plain SDK, against one s3rver in the same run.
 */
import { randomBytes } from 'node:crypto';
import { Config, FlowDataStore, mapLimit, type ArtifactRef } from '@flowkit/core';
import { S3DataStore } from '@flowkit/datastore-s3';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { S3TestServer } from '../../test/helpers/s3server';

const SMALL_BYTES = 2 * 1024 * 1024;
const CONCURRENCY = 16;

export interface S3Throughput {
  megabytes: number;
  small: number;
  flowkit: { putSeconds: number; getSeconds: number };
  sdk: { putSeconds: number; getSeconds: number };
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

export async function benchS3(megabytes: number): Promise<S3Throughput> {
  const server = await S3TestServer.start(['bench']);
  const env = server.env('s3://bench/flowkit');
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY, AWS_REGION: env.AWS_REGION, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  try {
    const small = Math.floor((megabytes / 2) * 1024 * 1024 / SMALL_BYTES);
    const values = new Map<string, unknown>(Array.from({ length: small }, (_, i) => [`part${i}`, randomBytes(SMALL_BYTES)]));
    const large = new Float64Array((megabytes / 2) * 1024 * 1024 / 8);
    for (let i = 0; i < large.length; i += 4096) large[i] = Math.random();
    values.set('large', large);

    // The plain SDK, as a user would write it: PutObject for small objects, lib-storage Upload for the large one.
    const client = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    const bodies = [...values].map(([name, value]) => ({ key: `sdk/${name}`, body: Buffer.from((value as ArrayBufferView).buffer, (value as ArrayBufferView).byteOffset, (value as ArrayBufferView).byteLength) }));
    let started = process.hrtime.bigint();
    await mapLimit(bodies, CONCURRENCY, async ({ key, body }) => {
      if (body.length >= 64 * 1024 * 1024) await new Upload({ client, params: { Bucket: 'bench', Key: key, Body: body }, partSize: 16 * 1024 * 1024, queueSize: 4 }).done();
      else await client.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body }));
    });
    const sdkPut = seconds(started);
    started = process.hrtime.bigint();
    await mapLimit(bodies, CONCURRENCY, async ({ key, body }) => {
      const got = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: key }));
      const bytes = await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      if (bytes.length !== body.length) throw new Error(`sdk read ${bytes.length} of ${body.length} bytes of ${key}`);
    });
    const sdkGet = seconds(started);
    client.destroy();

    // FlowKit: serialize, hash, store once (content-addressed), then load every value back.
    const storage = new S3DataStore('s3://bench/flowkit', new Config(env));
    const store = new FlowDataStore(storage, 'BenchFlow');
    started = process.hrtime.bigint();
    const refs = await store.saveArtifacts(values);
    const flowkitPut = seconds(started);
    started = process.hrtime.bigint();
    await mapLimit([...refs.values()], CONCURRENCY, async (ref: ArtifactRef) => {
      const value = (await store.loadValue(ref)) as ArrayBufferView;
      if (value.byteLength !== ref.size - 8) throw new Error(`flowkit read ${value.byteLength} bytes of a ${ref.size}-byte artifact`);
    });
    const flowkitGet = seconds(started);
    storage.close();
    return { megabytes, small, flowkit: { putSeconds: flowkitPut, getSeconds: flowkitGet }, sdk: { putSeconds: sdkPut, getSeconds: sdkGet } };
  } finally {
    await server.close();
  }
}
