/**
 * Object-store throughput: the same artifacts (many small Buffers and one large Float64Array) stored and read
 * back through a FlowKit datastore and through the service's plain client, against one server in the same run;
 * medians of rounds.
 */
import { randomBytes } from 'node:crypto';
import { mapLimit } from '@flowkit/core/internal';
import { FlowDataStore, type ArtifactRef, type DataStore } from '@flowkit/core/plugin';
import { median } from './stats';

const SMALL_BYTES = 2 * 1024 * 1024;
const CONCURRENCY = 16;
/** Objects from this size up go as multipart / resumable uploads, as FlowKit's stores send them. */
export const LARGE_BYTES = 64 * 1024 * 1024;

type Round = { putSeconds: number; getSeconds: number };

export interface Throughput {
  megabytes: number;
  small: number;
  flowkit: Round;
  client: Round;
}

/** The service's plain client, as a user would write it: one call to store an object, one to read it whole. */
export interface PlainClient {
  put(key: string, body: Buffer): Promise<void>;
  /** The bytes read. */
  get(key: string): Promise<number>;
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

export async function storeThroughput(storage: DataStore, client: PlainClient, megabytes: number, rounds: number): Promise<Throughput> {
  const small = Math.floor((megabytes / 2) * 1024 * 1024 / SMALL_BYTES);
  const values = new Map<string, ArrayBufferView>(Array.from({ length: small }, (_, i) => [`part${i}`, randomBytes(SMALL_BYTES)]));
  const large = new Float64Array((megabytes / 2) * 1024 * 1024 / 8);
  for (let i = 0; i < large.length; i += 4096) large[i] = Math.random();
  values.set('large', large);
  const bytes = [...values].map(([name, value]) => ({ key: `plain/${name}`, body: Buffer.from(value.buffer, value.byteOffset, value.byteLength) }));

  // Rounds alternate between the two clients, after a warm-up round of each; every round stores new
  // content, so FlowKit's content addressing cannot skip a value stored by an earlier round.
  const plain: Round[] = [];
  const flowkit: Round[] = [];
  for (let round = 0; round <= rounds; round++) {
    for (const { body } of bytes) body.writeUInt32LE(round, 0);
    const plainRound = await plainPutGet(client, bytes);
    const flowkitRound = await flowkitPutGet(new FlowDataStore(storage, 'BenchFlow'), values);
    if (round > 0) {
      plain.push(plainRound);
      flowkit.push(flowkitRound);
    }
  }
  return { megabytes, small, flowkit: medianRound(flowkit), client: medianRound(plain) };
}

const medianRound = (rounds: Round[]): Round => ({ putSeconds: median(rounds.map((r) => r.putSeconds)), getSeconds: median(rounds.map((r) => r.getSeconds)) });

async function plainPutGet(client: PlainClient, bytes: { key: string; body: Buffer }[]): Promise<Round> {
  let started = process.hrtime.bigint();
  await mapLimit(bytes, CONCURRENCY, ({ key, body }) => client.put(key, body));
  const putSeconds = seconds(started);
  started = process.hrtime.bigint();
  await mapLimit(bytes, CONCURRENCY, async ({ key, body }) => {
    const read = await client.get(key);
    if (read !== body.length) throw new Error(`the plain client read ${read} of ${body.length} bytes of ${key}`);
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

/** A bench row of one store against its plain client. */
export function throughputRow(benchmark: string, t: Throughput, clientName: string) {
  const rate = (seconds: number) => t.megabytes / seconds;
  const putShare = t.client.putSeconds / t.flowkit.putSeconds;
  const getShare = t.client.getSeconds / t.flowkit.getSeconds;
  return {
    benchmark: `${benchmark}: ${t.megabytes} MB as ${t.small} small + 1 large artifact, put then get`,
    result: `put ${rate(t.flowkit.putSeconds).toFixed(0)} MB/s, get ${rate(t.flowkit.getSeconds).toFixed(0)} MB/s`,
    vsFloor: `put ${(putShare * 100).toFixed(0)}%, get ${(getShare * 100).toFixed(0)}% of ${clientName} (${rate(t.client.putSeconds).toFixed(0)}/${rate(t.client.getSeconds).toFixed(0)} MB/s)`,
    target: `>= 90% of ${clientName}`,
    met: putShare >= 0.9 && getShare >= 0.9,
    raw: { ...t.flowkit, clientPutSeconds: t.client.putSeconds, clientGetSeconds: t.client.getSeconds },
  };
}
