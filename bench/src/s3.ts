/**
 * S3 throughput: the same artifacts (many small Buffers and one large Float64Array) stored and read back
 * through FlowKit's S3 datastore and through the plain SDK, against one s3rver in the same run; medians of rounds.
 */
import { randomBytes } from 'node:crypto';
import { mapLimit } from '@flowkit/core/internal';
import { Config, FlowDataStore, type ArtifactRef } from '@flowkit/core/plugin';
import { S3DataStore } from '@flowkit/datastore-s3';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { S3TestServer } from '../../test/helpers/s3server';
import { median } from './stats';

const SMALL_BYTES = 2 * 1024 * 1024;
const CONCURRENCY = 16;

type Round = { putSeconds: number; getSeconds: number };

export interface S3Throughput {
  megabytes: number;
  small: number;
  flowkit: Round;
  sdk: Round;
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

export async function benchS3(megabytes: number, rounds: number): Promise<S3Throughput> {
  const server = await S3TestServer.start(['bench']);
  const env = server.env('s3://bench/flowkit');
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY, AWS_REGION: env.AWS_REGION, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const client = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const storage = new S3DataStore('s3://bench/flowkit', new Config(env));
  try {
    const small = Math.floor((megabytes / 2) * 1024 * 1024 / SMALL_BYTES);
    const values = new Map<string, ArrayBufferView>(Array.from({ length: small }, (_, i) => [`part${i}`, randomBytes(SMALL_BYTES)]));
    const large = new Float64Array((megabytes / 2) * 1024 * 1024 / 8);
    for (let i = 0; i < large.length; i += 4096) large[i] = Math.random();
    values.set('large', large);
    const bytes = [...values].map(([name, value]) => ({ key: `sdk/${name}`, body: Buffer.from(value.buffer, value.byteOffset, value.byteLength) }));

    // Rounds alternate between the two clients, after a warm-up round of each; every round stores new
    // content, so FlowKit's content addressing cannot skip a value stored by an earlier round.
    const sdk: Round[] = [];
    const flowkit: Round[] = [];
    for (let round = 0; round <= rounds; round++) {
      for (const { body } of bytes) body.writeUInt32LE(round, 0);
      const sdkRound = await sdkPutGet(client, bytes);
      const flowkitRound = await flowkitPutGet(new FlowDataStore(storage, 'BenchFlow'), values);
      if (round > 0) {
        sdk.push(sdkRound);
        flowkit.push(flowkitRound);
      }
    }
    return { megabytes, small, flowkit: medianRound(flowkit), sdk: medianRound(sdk) };
  } finally {
    client.destroy();
    storage.close();
    await server.close();
  }
}

const medianRound = (rounds: Round[]): Round => ({ putSeconds: median(rounds.map((r) => r.putSeconds)), getSeconds: median(rounds.map((r) => r.getSeconds)) });

/** The plain SDK, as a user would write it: PutObject for small objects, lib-storage Upload for the large one. */
async function sdkPutGet(client: S3Client, bytes: { key: string; body: Buffer }[]): Promise<Round> {
  let started = process.hrtime.bigint();
  await mapLimit(bytes, CONCURRENCY, async ({ key, body }) => {
    if (body.length >= 64 * 1024 * 1024) await new Upload({ client, params: { Bucket: 'bench', Key: key, Body: body }, partSize: 16 * 1024 * 1024, queueSize: 4 }).done();
    else await client.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body }));
  });
  const putSeconds = seconds(started);
  started = process.hrtime.bigint();
  await mapLimit(bytes, CONCURRENCY, async ({ key, body }) => {
    const got = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: key }));
    const read = await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    if (read.length !== body.length) throw new Error(`sdk read ${read.length} of ${body.length} bytes of ${key}`);
  });
  return { putSeconds, getSeconds: seconds(started) };
}

/** FlowKit: serialize, hash, store once (content-addressed), then load every value back. */
async function flowkitPutGet(store: FlowDataStore, values: Map<string, unknown>): Promise<Round> {
  let started = process.hrtime.bigint();
  const refs = await store.saveArtifacts(values);
  const putSeconds = seconds(started);
  started = process.hrtime.bigint();
  await mapLimit([...refs.values()], CONCURRENCY, async (ref: ArtifactRef) => {
    const value = (await store.loadValue(ref)) as ArrayBufferView;
    if (value.byteLength !== ref.size - 8) throw new Error(`flowkit read ${value.byteLength} bytes of a ${ref.size}-byte artifact`);
  });
  return { putSeconds, getSeconds: seconds(started) };
}
