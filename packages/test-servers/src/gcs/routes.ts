import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { GcsError, badRequest, notFound, parseJson, readBody, sendJson } from './http';
import { UrlSigner } from './signing';
import { objectResource, preconditionsOf, type GcsStore, type StoredObject } from './store';
import type { GcsUploads } from './uploads';

const DEFAULT_PAGE = 1000;

/** What a request is, once its path is read. */
export type Route =
  | { kind: 'buckets'; bucket?: string }
  | { kind: 'objects'; bucket: string; object?: string }
  | { kind: 'upload'; bucket: string }
  | { kind: 'signed'; bucket: string; object: string };

const UPLOAD_PATH = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/;
const JSON_PATH = /^\/(?:download\/)?storage\/v1\/b(?:\/([^/]+)(\/o(?:\/(.+))?)?)?$/;
const XML_PATH = /^\/([^/]+)\/(.+)$/;

/**
 * The JSON API's paths (`/storage/v1/b/<bucket>/o/<object, URL-encoded>`, the same under `/upload` and
 * `/download`), and the XML API's `/<bucket>/<object>` for signed URLs.
 */
export function route(url: URL): Route {
  const path = url.pathname;
  const upload = UPLOAD_PATH.exec(path);
  if (upload) return { kind: 'upload', bucket: decode(upload[1] as string) };
  const json = JSON_PATH.exec(path);
  if (json && json[1] === undefined) return { kind: 'buckets' };
  if (json && json[2] === undefined) return { kind: 'buckets', bucket: decode(json[1] as string) };
  if (json) return { kind: 'objects', bucket: decode(json[1] as string), object: json[3] === undefined ? undefined : decode(json[3]) };
  const xml = XML_PATH.exec(path);
  if (xml && UrlSigner.isSigned(url.searchParams)) return { kind: 'signed', bucket: decode(xml[1] as string), object: decode(xml[2] as string) };
  throw notFound(`Not found: ${path}`);
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badRequest(`Malformed path segment ${JSON.stringify(part)}.`);
  }
}

export class GcsRoutes {
  constructor(
    private readonly store: GcsStore,
    private readonly uploads: GcsUploads,
    private readonly signer: UrlSigner,
    private readonly baseUrl: string,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, cutAfter: () => number | undefined): Promise<void> {
    const target = route(url);
    const query = url.searchParams;
    const method = req.method ?? 'GET';
    if (target.kind === 'upload') {
      if (method === 'POST') return this.uploads.start(req, res, target.bucket, query);
      const id = query.get('upload_id');
      if (!id) throw badRequest('Required parameter: upload_id');
      if (method === 'PUT') return this.uploads.put(req, res, id, req.headers['content-range']?.startsWith('bytes */') ? undefined : cutAfter());
      if (method === 'DELETE') return this.uploads.cancel(res, id);
    }
    if (target.kind === 'signed' && (method === 'GET' || method === 'HEAD')) {
      this.signer.verify(req, url);
      return this.media(req, res, this.store.object(target.bucket, target.object));
    }
    if (target.kind === 'buckets') return this.buckets(req, res, method, target.bucket);
    if (target.kind === 'objects' && target.object === undefined && method === 'GET') return this.list(res, target.bucket, query);
    if (target.kind === 'objects' && target.object !== undefined) {
      const preconditions = preconditionsOf(query);
      if (method === 'GET') {
        const object = this.store.object(target.bucket, target.object, preconditions, query.get('generation') ?? undefined);
        return query.get('alt') === 'media' ? this.media(req, res, object) : sendJson(res, 200, objectResource(object, this.baseUrl));
      }
      if (method === 'PATCH' || method === 'PUT') {
        const changes = parseJson(await readBody(req));
        return sendJson(res, 200, objectResource(this.store.patch(target.bucket, target.object, changes, preconditions), this.baseUrl));
      }
      if (method === 'DELETE') {
        this.store.delete(target.bucket, target.object, preconditions);
        res.writeHead(204).end();
        return;
      }
    }
    throw new GcsError(405, 'methodNotAllowed', `${method} is not allowed on ${url.pathname}.`);
  }

  private async buckets(req: IncomingMessage, res: ServerResponse, method: string, bucket: string | undefined): Promise<void> {
    if (bucket === undefined && method === 'POST') {
      const { name } = parseJson(await readBody(req));
      if (typeof name !== 'string') throw badRequest('Required parameter: name');
      this.store.createBucket(name);
      return sendJson(res, 200, this.store.bucketResource(name));
    }
    if (bucket !== undefined && method === 'GET') return sendJson(res, 200, this.store.bucketResource(bucket));
    if (bucket !== undefined && method === 'DELETE') {
      if (this.store.bucket(bucket).objects.size > 0) throw new GcsError(409, 'conflict', 'The bucket you tried to delete is not empty.');
      this.store.deleteBucket(bucket);
      res.writeHead(204).end();
      return;
    }
    throw new GcsError(405, 'methodNotAllowed', `${method} is not allowed on buckets here.`);
  }

  /** objects.list: prefix, delimiter (names folded into `prefixes`), startOffset/endOffset, paging by pageToken and maxResults. */
  private list(res: ServerResponse, bucket: string, query: URLSearchParams): void {
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const startOffset = query.get('startOffset');
    const endOffset = query.get('endOffset');
    const max = Math.max(1, Number(query.get('maxResults') ?? DEFAULT_PAGE) || DEFAULT_PAGE);
    const after = query.get('pageToken') ? Buffer.from(query.get('pageToken') as string, 'base64url').toString('utf8') : undefined;
    const entries: Array<{ key: string; object?: StoredObject }> = [];
    for (const name of this.store.names(bucket, prefix)) {
      if ((startOffset !== null && name < startOffset) || (endOffset !== null && name >= endOffset)) continue;
      const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      const key = cut === -1 ? name : name.slice(0, cut + delimiter.length);
      if (entries.at(-1)?.key === key) continue;
      entries.push(cut === -1 ? { key, object: this.store.object(bucket, name) } : { key });
    }
    const start = after === undefined ? 0 : entries.findIndex((entry) => entry.key > after);
    const page = start === -1 ? [] : entries.slice(start, start + max);
    const more = start !== -1 && start + max < entries.length;
    const items = page.filter((entry) => entry.object).map((entry) => objectResource(entry.object as StoredObject, this.baseUrl));
    const prefixes = page.filter((entry) => !entry.object).map((entry) => entry.key);
    sendJson(res, 200, {
      kind: 'storage#objects',
      ...(items.length > 0 ? { items } : {}),
      ...(prefixes.length > 0 ? { prefixes } : {}),
      ...(more ? { nextPageToken: Buffer.from((page.at(-1) as { key: string }).key).toString('base64url') } : {}),
    });
  }

  /** The bytes, whole or one `Range` (206); with the hashes and generation headers the client validates with. */
  private async media(req: IncomingMessage, res: ServerResponse, object: StoredObject): Promise<void> {
    const headers: Record<string, string | number> = {
      'content-type': object.contentType,
      'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
      'x-goog-generation': String(object.generation),
      'x-goog-metageneration': String(object.metageneration),
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(object.size),
      etag: `"${object.md5Hash}"`,
      'accept-ranges': 'bytes',
      'last-modified': new Date(object.updated).toUTCString(),
    };
    const range = parseRange(req.headers.range, object.size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'content-range': `bytes */${object.size}`, 'content-length': 0 }).end();
      return;
    }
    const [start, end] = range ?? [0, object.size - 1];
    if (range) headers['content-range'] = `bytes ${start}-${end}/${object.size}`;
    headers['content-length'] = Math.max(0, end - start + 1);
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || end < start) {
      res.end();
      return;
    }
    await pipeline(createReadStream(object.file, { start, end }), res);
  }
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n`, clamped to the object; undefined for the whole object. */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return size === 0 ? undefined : [Math.max(0, size - Number(match[2])), size - 1];
  const start = Number(match[1]);
  if (start >= size) return 'unsatisfiable';
  return [start, match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)];
}
