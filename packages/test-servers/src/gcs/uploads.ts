import { randomUUID } from 'node:crypto';
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GcsError, appendBody, badRequest, notFound, parseJson, readBody, sendJson } from './http';
import { objectResource, preconditionsOf, type GcsStore, type NewObject, type Preconditions, type StoredObject } from './store';

/** GCS persists resumable uploads in units of 256 KiB; what arrived beyond the last whole unit is lost on a cut. */
const PERSIST_UNIT = 256 * 1024;

/** One resumable upload session: bytes so far in a file, the object made when the last byte arrives. */
interface Session {
  bucket: string;
  name: string;
  attributes: NewObject;
  preconditions: Preconditions;
  file: string;
  received: number;
  total?: number;
  done?: StoredObject;
}

/**
 * `POST /upload/storage/v1/b/<bucket>/o` with uploadType media, multipart or resumable, and the
 * resumable session's PUTs (chunks with `Content-Range`, `308 Resume Incomplete` with `Range`, status
 * queries `bytes *\/<total or *>`).
 */
export class GcsUploads {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly store: GcsStore,
    private readonly baseUrl: string,
  ) {}

  async start(req: IncomingMessage, res: ServerResponse, bucket: string, query: URLSearchParams): Promise<void> {
    this.store.bucket(bucket);
    const uploadType = query.get('uploadType');
    const preconditions = preconditionsOf(query);
    if (uploadType === 'resumable') return this.startSession(req, res, bucket, query, preconditions);
    if (uploadType === 'multipart') {
      const { metadata, media } = parseMultipart(req.headers['content-type'] ?? '', await readBody(req));
      const name = query.get('name') ?? (typeof metadata.name === 'string' ? metadata.name : undefined);
      return this.finish(res, bucket, requireName(name), media, attributesOf(metadata, undefined), preconditions);
    }
    if (uploadType === 'media') {
      return this.finish(res, bucket, requireName(query.get('name')), await readBody(req), { contentType: req.headers['content-type'] }, preconditions);
    }
    throw badRequest(`Unknown uploadType ${JSON.stringify(uploadType)}.`);
  }

  /** A PUT to a session URI: a chunk, the rest of the object, or a status query. `cutAfter` drops the connection after that many body bytes. */
  async put(req: IncomingMessage, res: ServerResponse, uploadId: string, cutAfter: number | undefined): Promise<void> {
    const session = this.sessions.get(uploadId);
    if (!session) throw notFound('No such upload session.');
    if (session.done) {
      req.resume();
      return sendJson(res, 200, objectResource(session.done, this.baseUrl));
    }
    const range = req.headers['content-range'] ?? '';
    const query = /^bytes \*\/(\*|\d+)$/.exec(range);
    if (query) {
      req.resume();
      if (query[1] !== '*') session.total = Number(query[1]);
      return session.total === session.received ? this.complete(res, uploadId, session) : this.incomplete(res, session);
    }
    const chunk = /^bytes (\d+)-(\d+|\*)\/(\*|\d+)$/.exec(range);
    if (!chunk) throw badRequest(`Bad Content-Range ${JSON.stringify(range)}.`);
    const start = Number(chunk[1]);
    if (start > session.received) throw badRequest(`The upload offset is ${start} bytes, but the upload has only received ${session.received} bytes.`);
    if (chunk[3] !== '*') session.total = Number(chunk[3]);
    const written = await appendBody(req, session.file, session.received - start, cutAfter);
    if (cutAfter !== undefined) {
      session.received = Math.floor((session.received + written) / PERSIST_UNIT) * PERSIST_UNIT;
      truncateSync(session.file, session.received);
      req.socket.destroy();
      return;
    }
    session.received += written;
    // `bytes <start>-*/*` sends the rest of the object in this one request: it ends with the request.
    const last = session.total === undefined ? chunk[2] === '*' : session.received === session.total;
    if (!last) return this.incomplete(res, session);
    session.total = session.received;
    return this.complete(res, uploadId, session);
  }

  /** DELETE on a session URI cancels it (499, as GCS answers). */
  cancel(res: ServerResponse, uploadId: string): void {
    const session = this.sessions.get(uploadId);
    if (!session) throw notFound('No such upload session.');
    this.sessions.delete(uploadId);
    rmSync(session.file, { force: true });
    sendJson(res, 499, {});
  }

  private async startSession(req: IncomingMessage, res: ServerResponse, bucket: string, query: URLSearchParams, preconditions: Preconditions): Promise<void> {
    const metadata = parseJson(await readBody(req));
    const name = requireName(query.get('name') ?? (typeof metadata.name === 'string' ? metadata.name : undefined));
    // A create-only upload of a name that exists fails at once, as on GCS, and again when it would land.
    if (preconditions.ifGenerationMatch === '0' && this.store.bucket(bucket).objects.has(name)) {
      throw new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
    }
    const id = randomUUID();
    const file = this.store.tempFile();
    writeFileSync(file, '');
    const declared = req.headers['x-upload-content-length'];
    this.sessions.set(id, {
      bucket,
      name,
      attributes: attributesOf(metadata, req.headers['x-upload-content-type'] as string | undefined),
      preconditions,
      file,
      received: 0,
      total: declared === undefined ? undefined : Number(declared),
    });
    const location = new URL(`${this.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o`);
    location.search = new URLSearchParams({ uploadType: 'resumable', name, upload_id: id }).toString();
    res.writeHead(200, { location: location.href, 'content-length': 0 }).end();
  }

  private incomplete(res: ServerResponse, session: Session): void {
    res.writeHead(308, session.received > 0 ? { range: `bytes=0-${session.received - 1}`, 'content-length': 0 } : { 'content-length': 0 }).end();
  }

  private async complete(res: ServerResponse, uploadId: string, session: Session): Promise<void> {
    try {
      session.done = await this.store.commit(session.bucket, session.name, session.file, session.attributes, session.preconditions);
    } catch (error) {
      this.sessions.delete(uploadId);
      throw error;
    }
    sendJson(res, 200, objectResource(session.done, this.baseUrl));
  }

  private async finish(res: ServerResponse, bucket: string, name: string, media: Buffer, attributes: NewObject, preconditions: Preconditions): Promise<void> {
    const file = this.store.tempFile();
    writeFileSync(file, media);
    sendJson(res, 200, objectResource(await this.store.commit(bucket, name, file, attributes, preconditions), this.baseUrl));
  }
}

function requireName(name: string | null | undefined): string {
  if (!name) throw badRequest('Required parameter: name');
  return name;
}

function attributesOf(metadata: Record<string, unknown>, contentType: string | undefined): NewObject {
  return {
    contentType: typeof metadata.contentType === 'string' ? metadata.contentType : contentType,
    metadata: typeof metadata.metadata === 'object' && metadata.metadata !== null ? Object.fromEntries(Object.entries(metadata.metadata).map(([k, v]) => [k, String(v)])) : undefined,
  };
}

/** A `multipart/related` body: the object's JSON metadata, then its bytes (each part ends before CRLF--boundary). */
function parseMultipart(contentType: string, body: Buffer): { metadata: Record<string, unknown>; media: Buffer } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!contentType.startsWith('multipart/related') || !boundary) throw badRequest('A multipart upload needs a multipart/related body with a boundary.');
  const parts: Buffer[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(at + delimiter.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) parts.push(part.subarray(headerEnd + 4, part.length - (part.subarray(-2).toString() === '\r\n' ? 2 : 0)));
    at = next;
  }
  if (parts.length !== 2) throw badRequest(`A multipart upload has 2 parts, not ${parts.length}.`);
  return { metadata: parseJson(parts[0] as Buffer), media: parts[1] as Buffer };
}
