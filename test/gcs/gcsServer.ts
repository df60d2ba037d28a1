import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GcsTestServer } from '@flowkit/test-servers';

/** A GCS test server for the tests of one file: started before them, stopped after. Call at the top of a file. */
export function gcsServerForThisFile(buckets = ['flowkit']): () => GcsTestServer {
  let server: GcsTestServer | undefined;
  beforeAll(async () => {
    server = await GcsTestServer.start({ buckets });
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => server as GcsTestServer;
}

/**
 * The environment of a `flowkit` process on the GCS test server: its endpoint and Application Default
 * Credentials (server.env()), the root, a cache of its own, and short retry waits (the client waits
 * multiplier^n s plus up to 1 s of jitter; the retries are what tests check, not the waiting).
 */
export function gcsEnv(server: GcsTestServer, root: string): Record<string, string> {
  return {
    ...server.env(),
    FLOWKIT_DATASTORE_SYSROOT_GCS: root,
    FLOWKIT_GCS_CACHE_DIR: mkdtempSync(join(tmpdir(), 'flowkit-gcs-cache-')),
    FLOWKIT_GCS_RETRY_MULTIPLIER: '0.01',
  };
}

/** Artifact name -> sha of every finished task of a run stored under `prefix` in bucket `flowkit`, keyed `step[foreach indices]`. */
export function fingerprint(server: GcsTestServer, prefix: string, flow: string, run: string): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  const base = `${prefix}/${flow}/${run}/`;
  for (const done of server.keys('flowkit', base).filter((key) => key.endsWith('.DONE'))) {
    const data = JSON.parse(server.read('flowkit', done.replace(/\.DONE$/, '.data.json')).toString()) as { artifacts: Record<string, { sha: string }>; foreachStack: Array<{ index: number }> };
    const step = done.slice(base.length).split('/')[0] as string;
    if (step === '_parameters') continue;
    result[`${step}[${data.foreachStack.map((f) => f.index).join('.')}]`] = Object.fromEntries(Object.entries(data.artifacts).map(([name, ref]) => [name, ref.sha]));
  }
  return result;
}

/** Blob keys (under `prefix`) that were written more than once: content addressing and create-only writes should leave none. */
export function blobsWrittenTwice(server: GcsTestServer, prefix: string): string[] {
  const written = new Map<string, number>();
  for (const request of server.requests()) {
    const name = new URLSearchParams(request.path.split('?')[1] ?? '').get('name');
    if (request.method === 'POST' && request.status === 200 && name?.startsWith(`${prefix}/`) && name.includes('/data/')) written.set(name, (written.get(name) ?? 0) + 1);
  }
  return [...written].filter(([, count]) => count > 1).map(([name]) => name);
}
