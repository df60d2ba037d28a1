import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** s3rver's fixed development credentials; the SDK finds them in the environment like real ones. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

export interface SeenRequest {
  method: string;
  path: string;
  /** What the client got; 503 for a throttled request. */
  status: number;
  /** A Signature V4 header checked against the AWS SDK's signer (s3rver checks none). */
  sigv4?: 'valid' | 'invalid' | `unchecked: ${string}`;
}

/**
 * A real S3-compatible server (s3rver, from npm) on 127.0.0.1 in a process of its own, behind a small
 * HTTP proxy so a test can answer requests with 503 SlowDown, and stop the whole endpoint for a while
 * and bring it back on the same port with the same data.
 */
export class S3TestServer {
  private next = 0;
  private readonly pending = new Map<number, { resolve(value: Record<string, unknown>): void; reject(error: Error): void }>();
  endpoint = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly directory: string,
  ) {
    child.on('message', (message: { id: number; error?: string }) => {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(`s3 test server: ${message.error}`));
      else waiting?.resolve(message as Record<string, unknown>);
    });
  }

  static async start(buckets: string[] = ['flowkit']): Promise<S3TestServer> {
    const directory = mkdtempSync(join(tmpdir(), 'flowkit-s3rver-'));
    const child = fork(join(__dirname, 's3server-process.js'), [directory, buckets.join(',')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const server = new S3TestServer(child, directory);
    server.endpoint = (await server.command('up')).endpoint as string;
    return server;
  }

  /** Environment for a process that uses this server: settings, and credentials for the SDK's default chain. */
  env(root = 's3://flowkit/runs'): Record<string, string> {
    return {
      ...CREDENTIALS,
      FLOWKIT_S3_ENDPOINT_URL: this.endpoint,
      FLOWKIT_DATASTORE_SYSROOT_S3: root,
      FLOWKIT_S3_CACHE_DIR: mkdtempSync(join(tmpdir(), 'flowkit-s3-cache-')),
      FLOWKIT_S3_MAX_ATTEMPTS: '12',
    };
  }

  /** Every key under a prefix of a bucket, read with the plain SDK (no FlowKit code in between). */
  async keys(prefix: string, bucket = 'flowkit'): Promise<string[]> {
    const client = this.client();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key as string));
      token = page.NextContinuationToken;
    } while (token);
    client.destroy();
    return keys;
  }

  private client(): S3Client {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    return new S3Client({ endpoint: this.endpoint, forcePathStyle: true, region: CREDENTIALS.AWS_REGION, credentials: { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY } });
  }

  /** An object's bytes as text, read with the plain SDK. */
  async text(key: string, bucket = 'flowkit'): Promise<string> {
    const client = this.client();
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await (answer.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).toString('latin1');
    } finally {
      client.destroy();
    }
  }

  /** The next `count` requests get 503 SlowDown, as S3 answers when throttling. */
  async throttle(count: number): Promise<void> {
    await this.command('throttle', { count });
  }

  /** Every request the endpoint saw so far. */
  async requests(): Promise<SeenRequest[]> {
    return (await this.command('requests')).requests as SeenRequest[];
  }

  /** Stops the endpoint and drops every open connection: connecting is refused until restart(). */
  async stop(): Promise<void> {
    await this.command('down');
  }

  /** Brings the endpoint back on the same port, with the data it had. */
  async restart(): Promise<void> {
    await this.command('up');
  }

  async close(): Promise<void> {
    this.child.disconnect();
    await new Promise((resolve) => (this.child.exitCode === null ? this.child.once('exit', resolve) : resolve(undefined)));
    rmSync(this.directory, { recursive: true, force: true });
  }

  private command(command: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, command, ...args });
    });
  }
}
