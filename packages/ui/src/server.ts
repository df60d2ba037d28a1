import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { ConfigError, FlowKitError, PathspecError, bearerToken, isLoopback, tokenMatches } from '@flowkit/core/plugin';
import { configureClient, namespace } from '@flowkit/client';
import { Download } from './api';
import { HttpError, pathSegments, routeApi } from './routes';

export interface UiOptions {
  /** Where runs are read from, as the read commands take it. */
  datastore?: string;
  datastoreRoot?: string;
  metadata?: string;
  /** `user:alice`, or null for every user; default: the client's (`user:<you>`). */
  namespace?: string | null;
  /** The directory whose `.flowkit/` is read by default. */
  flowDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Every request must carry it (bearer header, or the cookie `?token=` sets); required beyond loopback. */
  authToken?: string;
  /** Where the server reports failures it answered with a 500 (never tokens). */
  log?: (line: string) => void;
}

export interface RunningUi {
  /** `http://host:port/`, without the token. */
  readonly url: string;
  close(): Promise<void>;
}

const COOKIE = 'flowkit_ui_token';

/** The page and its scripts, read once at start: no request names a file. */
interface Asset {
  type: string;
  body: Buffer;
}

function assets(): Map<string, Asset> {
  const page = join(__dirname, '..', 'page');
  const dagre = join(dirname(require.resolve('@dagrejs/dagre/package.json')), 'dist', 'dagre.min.js');
  const files: Array<[string, string, string]> = [
    ['/', join(page, 'index.html'), 'text/html; charset=utf-8'],
    ['/style.css', join(page, 'style.css'), 'text/css; charset=utf-8'],
    ['/app.js', join(__dirname, 'page', 'app.js'), 'text/javascript; charset=utf-8'],
    ['/vendor/dagre.min.js', dagre, 'text/javascript; charset=utf-8'],
  ];
  return new Map(files.map(([route, file, type]) => [route, { type, body: readFileSync(file) }]));
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function givenToken(request: IncomingMessage): string | undefined {
  const bearer = bearerToken(request.headers.authorization);
  if (bearer !== undefined) return bearer;
  const cookie = (request.headers.cookie ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie === undefined ? undefined : decodeURIComponent(cookie.slice(COOKIE.length + 1));
}

/**
 * On loopback without a token, only requests addressed to a loopback name are answered: a web page elsewhere
 * cannot rebind its own host name to 127.0.0.1 and read runs through the visitor's browser.
 */
function hostAllowed(request: IncomingMessage): boolean {
  const host = request.headers.host ?? '';
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0] ?? '';
  return isLoopback(name);
}

function send(response: ServerResponse, status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}

/** Refuses what the server must never do before it starts: listen beyond loopback without a token. */
function checkOptions(host: string, authToken: string | undefined): void {
  if (!authToken && !isLoopback(host)) {
    throw new ConfigError(`flowkit ui would serve your runs on ${host} without authentication.`, {
      hint: 'set a token with --auth-token (or FLOWKIT_UI_AUTH_TOKEN), or listen on 127.0.0.1',
    });
  }
}

/** Starts the read-only UI server; it reads runs through @flowkit/client only. */
export async function startUi(options: UiOptions): Promise<RunningUi> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8324;
  const log = options.log ?? (() => undefined);
  checkOptions(host, options.authToken);
  configureClient({ flowDir: options.flowDir, datastore: options.datastore, datastoreRoot: options.datastoreRoot, metadata: options.metadata });
  if (options.namespace !== undefined) namespace(options.namespace);
  const files = assets();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://ui');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendJson(response, 405, { error: `${request.method} is not allowed: flowkit ui is read-only.`, hint: 'use GET' }, { allow: 'GET, HEAD' });
    }
    if (!options.authToken && !hostAllowed(request)) throw new HttpError(403, 'This UI answers requests to a loopback address only.', 'open it at http://127.0.0.1:<port>/');
    if (options.authToken) {
      const fromQuery = url.searchParams.get('token');
      if (fromQuery !== null && tokenMatches(fromQuery, options.authToken)) {
        // The token moves into a cookie, out of the address bar and the history; always to the page itself, so no
        // crafted address turns this into a redirect elsewhere.
        const cookie = `${COOKIE}=${encodeURIComponent(fromQuery)}; HttpOnly; SameSite=Strict; Path=/`;
        return send(response, 303, 'text/plain; charset=utf-8', '', { location: '/', 'set-cookie': cookie });
      }
      if (!tokenMatches(givenToken(request), options.authToken)) {
        throw new HttpError(401, 'This UI requires its token.', 'open it with ?token=<token>, or send Authorization: Bearer <token>');
      }
    }
    // The path as sent, not as URL resolves `..` in it: an id of `..` reaches the id check and is refused.
    const rawPath = (request.url ?? '/').split('?')[0] as string;
    const asset = files.get(rawPath);
    if (asset) return send(response, 200, asset.type, asset.body);
    const segments = pathSegments(rawPath);
    if (segments[0] !== 'api') throw new HttpError(404, 'No such page.', 'the UI lives at /');
    const answer = await routeApi(segments, url.searchParams);
    if (answer instanceof Download) {
      const disposition = `attachment; filename="${answer.filename}"`;
      return send(response, 200, answer.type, answer.body, { 'content-disposition': disposition, 'content-length': String(Buffer.byteLength(answer.body)) });
    }
    sendJson(response, 200, answer);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const known = httpError(error);
      if (!known) log(`${request.method} ${request.url?.split('?')[0]} failed: ${(error as Error).message}`);
      const answer = known ?? new HttpError(500, 'The UI failed to answer; its terminal says why.', 'retry, or look at the terminal running flowkit ui');
      if (response.headersSent) response.destroy();
      else sendJson(response, answer.status, { error: answer.message, hint: answer.hint });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  }).catch((error: Error) => {
    throw new ConfigError(`flowkit ui cannot listen on ${host}:${port}: ${error.message}.`, { hint: 'pick another --port or --host' });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * What a failed request tells the browser: ids it refused (400) and runs, tasks or artifacts the client
 * does not find in the namespace (404) carry their message; anything else is logged, not shown.
 */
function httpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof PathspecError || error instanceof FlowKitError) return new HttpError(404, error.message, error.hint);
  return undefined;
}
