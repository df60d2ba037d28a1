import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Crc32c } from './crc32c';

/**
 * An error the way the JSON API answers it: `{ error: { code, message, errors: [{ reason }] } }`. The
 * client reads `code` to decide on retries and `reason` for rate limits.
 */
export class GcsError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new GcsError(404, 'notFound', message);
export const badRequest = (message: string) => new GcsError(400, 'invalid', message);

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  // teeny-request parses a multipart upload's answer as JSON only for exactly this content type.
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

export function sendError(res: ServerResponse, error: GcsError): void {
  sendJson(res, error.status, { error: { code: error.status, message: error.message, errors: [{ domain: 'global', reason: error.reason, message: error.message }] } });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A JSON request body; an empty one is `{}` (the client sends none when there is no metadata). */
export function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw badRequest('The request body is not a JSON object.');
}

/** The two digests GCS keeps of every object, computed while bytes stream through. */
export class ObjectHashes {
  private readonly md5 = createHash('md5');
  private readonly crc = new Crc32c();

  update(chunk: Uint8Array): void {
    this.md5.update(chunk);
    this.crc.update(chunk);
  }

  digests(): { md5Hash: string; crc32c: string } {
    return { md5Hash: this.md5.digest('base64'), crc32c: this.crc.base64() };
  }
}

/**
 * Streams a request body to the end of a file; stops after `limit` bytes (a cut connection). Returns
 * the bytes written. Objects live on disk, so a 1 GB upload costs the server no memory.
 */
export async function appendBody(req: IncomingMessage, file: string, skip: number, limit = Infinity): Promise<number> {
  const out = createWriteStream(file, { flags: 'a' });
  let toSkip = skip;
  let written = 0;
  try {
    for await (const chunk of req) {
      let bytes = chunk as Buffer;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, bytes.length);
        bytes = bytes.subarray(dropped);
        toSkip -= dropped;
      }
      if (written + bytes.length > limit) bytes = bytes.subarray(0, limit - written);
      if (bytes.length > 0 && !out.write(bytes)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      written += bytes.length;
      if (written >= limit) break;
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  return written;
}
