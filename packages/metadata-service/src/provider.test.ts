import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetadataError, PathspecError } from '@flowkit/core/plugin';
import { ServiceMetadataProvider } from './provider';

/** A stand-in service that answers each request with the next scripted status (the last one repeats). */
async function scripted(statuses: number[], answer: (request: IncomingMessage, body: string) => unknown): Promise<{ url: string; bodies: string[]; authorizations: Array<string | undefined>; server: Server }> {
  const bodies: string[] = [];
  const authorizations: Array<string | undefined> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (c: Buffer) => (body += c.toString()));
    request.on('end', () => {
      bodies.push(body);
      authorizations.push(request.headers.authorization);
      const status = statuses[Math.min(bodies.length - 1, statuses.length - 1)] as number;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(status < 300 ? answer(request, body) : { error: { code: status === 404 ? 'not_found' : 'internal', message: `scripted ${status}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, authorizations, server };
}

const fast = { attempts: 4, baseMs: 5, maxMs: 20 };
const RUN = { flowName: 'F', runId: '1', user: 'u', createdAt: 1, tags: [], systemTags: [] };

describe('ServiceMetadataProvider', () => {
  test('a create retried after 5xx carries the same request id every time, so the service records it once', async () => {
    const fake = await scripted([500, 503, 201], () => RUN);
    try {
      const provider = new ServiceMetadataProvider({ url: fake.url, retry: fast, authToken: 'tok' });
      expect(await provider.newRun('F', { user: 'u', tags: [], systemTags: [] })).toEqual(RUN);
      const ids = fake.bodies.map((b) => (JSON.parse(b) as { requestId: string }).requestId);
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(1);
      expect(fake.authorizations).toEqual(['Bearer tok', 'Bearer tok', 'Bearer tok']);
      await provider.newRun('F', { user: 'u', tags: [], systemTags: [] });
      expect((JSON.parse(fake.bodies[3] as string) as { requestId: string }).requestId).not.toBe(ids[0]);
    } finally {
      fake.server.close();
    }
  });

  test('bounded retries, then one clear error naming the service and the request (never the token)', async () => {
    const fake = await scripted([503], () => ({}));
    try {
      const provider = new ServiceMetadataProvider({ url: fake.url, retry: fast, authToken: 'secret-token' });
      const failure = provider.finishRun('F', '1', 'succeeded');
      await expect(failure).rejects.toThrow(MetadataError);
      await expect(failure).rejects.toThrow(new RegExp(`^Metadata service ${fake.url} did not answer POST /v1/flows/F/runs/1/finish: HTTP 503: scripted 503 \\(4 tries over [\\d.]+ s\\)\\.$`));
      await expect(failure).rejects.not.toThrow(/secret-token/);
      expect(fake.bodies).toHaveLength(4);
    } finally {
      fake.server.close();
    }
  });

  test('a 4xx is not retried; a missing run or task reads as undefined', async () => {
    const fake = await scripted([404], () => ({}));
    try {
      const provider = new ServiceMetadataProvider({ url: fake.url, retry: fast });
      expect(await provider.getRun('F', '9')).toBeUndefined();
      expect(await provider.getTask({ flowName: 'F', runId: '9', stepName: 's', taskId: '1' })).toBeUndefined();
      expect(fake.bodies).toHaveLength(2);
      await expect(provider.startAttempt({ flowName: 'F', runId: '9', stepName: 's', taskId: '1' }, 0)).rejects.toThrow(/refused POST \/v1\/flows\/F\/runs\/9\/steps\/s\/tasks\/1\/attempts\/0\/start: scripted 404/);
      expect(fake.bodies).toHaveLength(3);
    } finally {
      fake.server.close();
    }
  });

  test('lists follow the cursor through every page and stop at the limit asked for', async () => {
    const pages: Record<string, { items: Array<{ runId: string }>; next: string | null }> = {
      '': { items: [{ runId: '3' }, { runId: '2' }], next: 'c1' },
      c1: { items: [{ runId: '1' }], next: null },
    };
    const fake = await scripted([200], (request) => pages[new URL(request.url as string, 'http://x').searchParams.get('cursor') ?? '']);
    try {
      const provider = new ServiceMetadataProvider({ url: fake.url, retry: fast });
      expect((await provider.listRuns('F', { tags: ['a b', 'user:x'], status: 'failed' })).map((r) => r.runId)).toEqual(['3', '2', '1']);
      expect((await provider.listRuns('F', { limit: 2 })).map((r) => r.runId)).toEqual(['3', '2']);
      expect(fake.bodies).toHaveLength(3);
    } finally {
      fake.server.close();
    }
  });

  test('ids are checked before they reach a URL; a bad URL is a clear configuration error', async () => {
    const provider = new ServiceMetadataProvider({ url: 'http://127.0.0.1:1' });
    await expect(provider.getRun('F', '../x')).rejects.toThrow(PathspecError);
    expect(() => new ServiceMetadataProvider({ url: 'ftp://host' })).toThrow('FLOWKIT_SERVICE_URL must be an http:// or https:// URL, got ftp:.');
    expect(() => new ServiceMetadataProvider({ url: 'not a url' })).toThrow('FLOWKIT_SERVICE_URL "not a url" is not a URL.');
  });
});
