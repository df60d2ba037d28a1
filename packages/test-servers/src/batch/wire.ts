import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** The two AWS protocols this server speaks; they differ in how an error names its type. */
export type Protocol = 'restJson1' | 'awsJson1_1';

/** Account and region baked into every ARN; the SDK never checks them against its own region. */
export const ACCOUNT = '123456789012';

/** A JSON object as it arrives on the wire: nothing about its members is known until validated. */
export type Json = Record<string, unknown>;

/**
 * An error the way AWS answers it. The SDK picks the exception class from the type name, so the
 * name must be one the service model declares (or a well-known one such as TooManyRequestsException,
 * which the SDK's retry strategy recognises as throttling).
 */
export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Batch's catch-all for bad input: unknown queue, unknown job definition, invalid values. */
export function clientException(message: string): AwsError {
  return new AwsError(400, 'ClientException', message);
}

export function invalidParameter(message: string): AwsError {
  return new AwsError(400, 'InvalidParameterException', message);
}

export function resourceNotFound(message: string): AwsError {
  return new AwsError(400, 'ResourceNotFoundException', message);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An empty body is `{}`: the SDK sends nothing at all for an operation without input members. */
export function parseJson(body: string): Json {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsError(400, 'SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError(400, 'SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as Json;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

/**
 * restJson1 carries the error type in the `x-amzn-errortype` header; awsJson1_1 in the body's
 * `__type`. Both are sent either way: the SDK reads whichever its protocol looks at first.
 */
export function sendError(res: ServerResponse, protocol: Protocol, error: AwsError): void {
  const contentType = protocol === 'restJson1' ? 'application/json' : 'application/x-amz-json-1.1';
  sendJson(res, error.status, { __type: error.type, message: error.message }, contentType, {
    'x-amzn-errortype': error.type,
  });
}

/** Pagination tokens are opaque to clients; an offset in base64 is enough and easy to validate. */
export function encodeOffsetToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodeOffsetToken(token: string | undefined, invalid: (message: string) => AwsError): number {
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through: any undecodable token gets the same answer
  }
  throw invalid('The specified nextToken is invalid.');
}

/** One page of `items` and the token for the next, absent on the last page (as AWS does). */
export function page<T>(items: T[], offset: number, limit: number): { items: T[]; nextToken?: string } {
  const slice = items.slice(offset, offset + limit);
  const next = offset + slice.length;
  return next < items.length ? { items: slice, nextToken: encodeOffsetToken(next) } : { items: slice };
}

/** An HTTP server on a free loopback port, handling each request with `handle` (a failing handler drops the connection). */
export async function listenLocally(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<Server> {
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

/** Closes the port, dropping open (keep-alive) connections rather than waiting for clients to let go. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
