import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, bearerToken, isLoopback, tokenMatches, type ArtifactRef, type TaskRef } from '@flowkit/core/plugin';
import { Pool } from 'pg';
import { MetadataDatabase, poolTypes } from './database';
import { migrate, schemaVersion } from './schema';
import * as v from './validate';
import { HttpError } from './validate';
import { API_PREFIX, type ErrorBody } from './wire';

export interface ServiceOptions {
  /** `postgres://user:password@host:port/database`. */
  databaseUrl: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Bearer token every request but the health check must carry; required when listening beyond loopback. */
  authToken?: string;
  /** A run or task without a heartbeat for this long is marked failed. */
  heartbeatTimeoutSeconds?: number;
  /** Where the service reports start, stop and server errors (never request bodies or tokens). */
  log?: (line: string) => void;
}

export interface RunningService {
  /** `http://host:port`, what FLOWKIT_SERVICE_URL should say. */
  readonly url: string;
  /** Stops taking requests, lets the ones in flight finish, then closes the database pool. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DISCARD_LIMIT = 64 * 1024 * 1024;
const MAX_ARTIFACTS = 10_000;
const MAX_METADATA_ENTRIES = 100;
const MAX_HEARTBEAT_TASKS = 10_000;
/** A join's inputs: one per branch or foreach item. */
const MAX_INPUTS = 100_000;
const RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;

interface Request {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

type Handler = (request: Request) => Promise<{ status?: number; body: unknown }>;

interface Route {
  method: 'GET' | 'POST' | 'PUT';
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/** `/flows/:flow/runs` -> a regex whose groups are the named segments (each one path segment, no `/`). */
function route(method: Route['method'], path: string, handler: Handler): Route {
  const names: string[] = [];
  const source = path.replace(/:([a-z]+)/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { method, pattern: new RegExp(`^${API_PREFIX}${source}$`), names, handler };
}

/** Path segments are checked as what they name before any handler sees them. */
function param(name: string, raw: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw v.badRequest(`The ${name} in the path is not valid percent-encoding.`);
  }
  if (name === 'attempt') return String(v.attemptNumber(value));
  return v.id(name as 'flow' | 'run' | 'step' | 'task', value);
}

function taskRef(params: Record<string, string>): TaskRef {
  return { flowName: params.flow as string, runId: params.run as string, stepName: params.step as string, taskId: params.task as string };
}

function artifactIndex(value: unknown): Record<string, ArtifactRef> {
  const entries = Object.entries(v.record(value, 'artifacts'));
  if (entries.length > MAX_ARTIFACTS) throw v.badRequest(`'artifacts' has ${entries.length} entries; at most ${MAX_ARTIFACTS} per request.`);
  const index: Record<string, ArtifactRef> = {};
  for (const [name, ref] of entries) {
    v.text(name, 'artifact name', 256);
    const fields = v.body(ref, ['sha', 'type', 'size', 'serializer']);
    if (typeof fields.sha !== 'string' || !/^[0-9a-f]{64}$/.test(fields.sha)) throw v.badRequest(`Artifact '${name}': 'sha' must be 64 lowercase hex digits.`);
    index[name] = {
      sha: fields.sha,
      type: v.text(fields.type, `${name}.type`, 256),
      size: v.integer(fields.size, `${name}.size`, 0, Number.MAX_SAFE_INTEGER),
      serializer: v.text(fields.serializer, `${name}.serializer`, 64),
    };
  }
  return index;
}

function routes(db: MetadataDatabase): Route[] {
  const since = (q: URLSearchParams, name: string) => v.optional(q.get(name), (x) => v.integer(x, name, 0, Number.MAX_SAFE_INTEGER));
  return [
    route('GET', '/flows', async ({ query }) => {
      const { limit, cursor } = v.pageQuery(query);
      return { body: await db.listFlows(limit, cursor) };
    }),
    route('POST', '/flows/:flow/runs', async ({ params, body }) => {
      const b = v.body(body, ['user', 'tags', 'systemTags', 'originRunId', 'runId', 'requestId']);
      const run = {
        user: v.text(b.user, 'user', 256),
        tags: v.tags(b.tags ?? [], 'tags'),
        systemTags: v.tags(b.systemTags ?? [], 'systemTags'),
        originRunId: v.optional(b.originRunId, (x) => v.id('run', x)),
        runId: v.optional(b.runId, (x) => v.id('run', x)),
      };
      return { status: 201, body: await db.newRun(params.flow as string, run, v.optional(b.requestId, v.requestId)) };
    }),
    route('GET', '/flows/:flow/runs', async ({ params, query }) => {
      const { limit, cursor } = v.pageQuery(query);
      const filter = {
        tags: v.tags(query.getAll('tag'), 'tag'),
        status: v.optional(query.get('status'), (x) => v.status(x, 'status', RUN_STATUSES)),
        since: since(query, 'since'),
        until: since(query, 'until'),
      };
      return { body: await db.listRuns(params.flow as string, filter, limit, cursor) };
    }),
    route('GET', '/flows/:flow/runs/:run', async ({ params }) => {
      const run = await db.getRun(params.flow as string, params.run as string);
      if (!run) throw new HttpError(404, 'not_found', `Run ${params.flow}/${params.run} does not exist.`);
      return { body: run };
    }),
    route('POST', '/flows/:flow/runs/:run/finish', async ({ params, body }) => {
      const b = v.body(body, ['status']);
      await db.finishRun(params.flow as string, params.run as string, v.status(b.status, 'status', ['succeeded', 'failed'] as const));
      return { body: { ok: true } };
    }),
    route('POST', '/flows/:flow/runs/:run/tags', async ({ params, body }) => {
      const b = v.body(body, ['add', 'remove', 'requestId']);
      const change = { add: v.tags(b.add ?? [], 'add'), remove: v.tags(b.remove ?? [], 'remove') };
      return { body: await db.updateTags(params.flow as string, params.run as string, change, v.optional(b.requestId, v.requestId)) };
    }),
    route('POST', '/flows/:flow/runs/:run/heartbeat', async ({ params, body }) => {
      const b = v.body(body, ['tasks']);
      const tasks = b.tasks ?? [];
      if (!Array.isArray(tasks) || tasks.length > MAX_HEARTBEAT_TASKS) throw v.badRequest(`'tasks' must be an array of at most ${MAX_HEARTBEAT_TASKS} { stepName, taskId }.`);
      const running = tasks.map((t) => {
        const task = v.body(t, ['stepName', 'taskId']);
        return { stepName: v.id('step', task.stepName), taskId: v.id('task', task.taskId) };
      });
      await db.heartbeat(params.flow as string, params.run as string, running);
      return { body: { ok: true } };
    }),
    route('GET', '/flows/:flow/runs/:run/steps', async ({ params, query }) => {
      const { limit, cursor } = v.pageQuery(query);
      return { body: await db.listSteps(params.flow as string, params.run as string, limit, cursor) };
    }),
    route('POST', '/flows/:flow/runs/:run/steps/:step/tasks', async ({ params, body }) => {
      const b = v.body(body, ['taskId', 'foreachIndices', 'clonedFrom', 'inputPaths', 'requestId']);
      const foreachIndices = v.optional(b.foreachIndices, (x) => {
        if (!Array.isArray(x) || x.length > 32) throw v.badRequest("'foreachIndices' must be an array of at most 32 whole numbers.");
        return x.map((i) => v.integer(i, 'foreachIndices[]', 0, 2 ** 31 - 1));
      });
      const clonedFrom = v.optional(b.clonedFrom, (x) => v.pathOf(x, 'clonedFrom', ['run', 'step', 'task']));
      const inputPaths = v.optional(b.inputPaths, (x) => {
        if (!Array.isArray(x) || x.length > MAX_INPUTS) throw v.badRequest(`'inputPaths' must be an array of at most ${MAX_INPUTS} STEP/TASK paths.`);
        return x.map((path) => v.pathOf(path, 'inputPaths[]', ['step', 'task']));
      });
      const ref = { flowName: params.flow as string, runId: params.run as string, stepName: params.step as string, taskId: v.optional(b.taskId, (x) => v.id('task', x)) };
      return { status: 201, body: await db.newTask(ref, { foreachIndices, clonedFrom, inputPaths }, v.optional(b.requestId, v.requestId)) };
    }),
    route('GET', '/flows/:flow/runs/:run/steps/:step/tasks', async ({ params, query }) => {
      const { limit, cursor } = v.pageQuery(query);
      const filter = { status: v.optional(query.get('status'), (x) => v.status(x, 'status', RUN_STATUSES)), since: since(query, 'since') };
      return { body: await db.listTasks(params.flow as string, params.run as string, params.step as string, filter, limit, cursor) };
    }),
    route('GET', '/flows/:flow/runs/:run/steps/:step/tasks/:task', async ({ params }) => {
      const task = await db.getTask(taskRef(params));
      if (!task) throw new HttpError(404, 'not_found', `Task ${params.flow}/${params.run}/${params.step}/${params.task} does not exist.`);
      return { body: task };
    }),
    route('GET', '/flows/:flow/runs/:run/steps/:step/tasks/:task/attempts', async ({ params }) => {
      // At most MAX_ATTEMPTS + 1 per task: always one page.
      return { body: { items: await db.listAttempts(taskRef(params)), next: null } };
    }),
    route('POST', '/flows/:flow/runs/:run/steps/:step/tasks/:task/attempts/:attempt/start', async ({ params, body }) => {
      v.body(body, []);
      await db.startAttempt(taskRef(params), Number(params.attempt));
      return { body: { ok: true } };
    }),
    route('POST', '/flows/:flow/runs/:run/steps/:step/tasks/:task/attempts/:attempt/finish', async ({ params, body }) => {
      const b = v.body(body, ['status', 'error', 'died']);
      const outcome = { status: v.status(b.status, 'status', ['succeeded', 'failed'] as const), error: v.optional(b.error, (text) => v.errorText(text, 'error')), died: v.optional(b.died, (text) => v.errorText(text, 'died')) };
      await db.finishAttempt(taskRef(params), Number(params.attempt), outcome);
      return { body: { ok: true } };
    }),
    route('PUT', '/flows/:flow/runs/:run/steps/:step/tasks/:task/attempts/:attempt/artifacts', async ({ params, body }) => {
      const b = v.body(body, ['artifacts']);
      await db.registerArtifacts(taskRef(params), Number(params.attempt), artifactIndex(b.artifacts));
      return { body: { ok: true } };
    }),
    route('GET', '/flows/:flow/runs/:run/steps/:step/tasks/:task/artifacts', async ({ params, query }) => {
      const { limit, cursor } = v.pageQuery(query);
      return { body: await db.listArtifacts(taskRef(params), undefined, limit, cursor) };
    }),
    route('GET', '/flows/:flow/runs/:run/steps/:step/tasks/:task/attempts/:attempt/artifacts', async ({ params, query }) => {
      const { limit, cursor } = v.pageQuery(query);
      return { body: await db.listArtifacts(taskRef(params), Number(params.attempt), limit, cursor) };
    }),
    route('PUT', '/flows/:flow/runs/:run/steps/:step/tasks/:task/attempts/:attempt/metadata', async ({ params, body }) => {
      const b = v.body(body, ['entries']);
      const entries = v.record(b.entries, 'entries');
      if (Object.keys(entries).length > MAX_METADATA_ENTRIES) throw v.badRequest(`'entries' has more than ${MAX_METADATA_ENTRIES} fields.`);
      const checked = Object.fromEntries(
        Object.entries(entries).map(([field, value]) => {
          if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(field)) throw v.badRequest(`Metadata field ${JSON.stringify(field.slice(0, 140))} is not valid.`, "a field is 1 to 128 letters, digits, '_', '.', ':' or '-'");
          return [field, v.text(value, field, 4096)];
        }),
      );
      await db.registerMetadata(taskRef(params), Number(params.attempt), checked);
      return { body: { ok: true } };
    }),
    route('GET', '/flows/:flow/runs/:run/steps/:step/tasks/:task/metadata', async ({ params, query }) => {
      const { limit, cursor } = v.pageQuery(query);
      return { body: await db.listMetadata(taskRef(params), limit, cursor) };
    }),
  ];
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendError(response: ServerResponse, error: HttpError): void {
  const body: ErrorBody = { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } };
  send(response, error.status, body);
}

/**
 * Reads a JSON body of at most MAX_BODY_BYTES. A larger one is read to its end and dropped, so the client
 * gets the 413 instead of a broken pipe; past DISCARD_LIMIT the connection is cut.
 */
async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > DISCARD_LIMIT) {
      request.socket.destroy();
      break;
    }
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw new HttpError(413, 'too_large', `The request body is ${size} bytes; at most ${MAX_BODY_BYTES} are accepted.`);
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw v.badRequest('The request body is not valid JSON.');
  }
}

/** The database URL without its password, for messages. */
function describeDatabase(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    url.password = '';
    return url.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

/**
 * Starts the metadata service: connects to PostgreSQL, applies pending migrations, serves the REST API,
 * and marks runs and tasks without heartbeats failed.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  if (!options.authToken && !isLoopback(host)) {
    throw new ConfigError(`The metadata service would listen on ${host} without authentication.`, {
      hint: 'set a token with --auth-token or FLOWKIT_SERVICE_AUTH_KEY (clients send it from FLOWKIT_SERVICE_AUTH_KEY), or listen on 127.0.0.1',
    });
  }
  const timeoutMs = (options.heartbeatTimeoutSeconds ?? 60) * 1000;
  const pool = new Pool({ connectionString: options.databaseUrl, max: 10, types: poolTypes });
  // An idle client losing its connection (database restarted) must not crash the service.
  pool.on('error', (error) => log(`database connection lost: ${error.message}`));
  try {
    const client = await pool.connect();
    try {
      const applied = await migrate(client);
      log(applied.length > 0 ? `schema migrated to version ${schemaVersion()} (applied ${applied.join(', ')})` : `schema at version ${schemaVersion()}`);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw new ConfigError(`Cannot use the database ${describeDatabase(options.databaseUrl)}: ${(error as Error).message}.`, {
      hint: 'check that PostgreSQL runs there and that the user may create tables in the database',
    });
  }

  const db = new MetadataDatabase(pool);
  const table = routes(db);
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`${request.method} ${request.url?.split('?')[0]} failed: ${(error as Error).message}`);
      if (!response.headersSent) sendError(response, new HttpError(500, 'internal', 'The metadata service failed to answer; it logged why.', 'retry; the provider retries by itself'));
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', 'http://service');
      if (request.method === 'GET' && url.pathname === `${API_PREFIX}/health`) {
        await db.ping();
        send(response, 200, { status: 'ok', schemaVersion: schemaVersion(), heartbeatTimeoutSeconds: timeoutMs / 1000 });
        return;
      }
      if (options.authToken && !tokenMatches(bearerToken(request.headers.authorization), options.authToken)) {
        throw new HttpError(401, 'unauthorized', request.headers.authorization ? 'The bearer token is not valid.' : 'This metadata service requires a bearer token.', 'set FLOWKIT_SERVICE_AUTH_KEY to the token the service was started with');
      }
      const matches = table.filter((r) => r.pattern.test(url.pathname));
      if (matches.length === 0) throw new HttpError(404, 'no_route', `No route ${url.pathname}.`, `the API lives under ${API_PREFIX}/flows`);
      const found = matches.find((r) => r.method === request.method);
      if (!found) throw new HttpError(405, 'method_not_allowed', `${request.method} is not allowed on ${url.pathname}.`, `use ${matches.map((r) => r.method).join(' or ')}`);
      const groups = (found.pattern.exec(url.pathname) as RegExpExecArray).slice(1);
      const params = Object.fromEntries(found.names.map((name, i) => [name, param(name, groups[i] as string)]));
      const body = request.method === 'GET' ? undefined : await readBody(request);
      const result = await found.handler({ params, query: url.searchParams, body });
      send(response, result.status ?? 200, result.body);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      sendError(response, error);
    }
  }

  const reaper = setInterval(() => {
    db.reap(Date.now() - timeoutMs).then(
      ({ runs, tasks }) => {
        if (runs + tasks > 0) log(`no heartbeat for ${timeoutMs / 1000} s: marked ${runs} run(s) and ${tasks} task attempt(s) failed`);
      },
      (error: unknown) => log(`heartbeat check failed: ${(error as Error).message}`),
    );
  }, Math.max(250, Math.min(timeoutMs / 4, 10_000)));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolve());
  }).catch(async (error: Error) => {
    clearInterval(reaper);
    await pool.end();
    throw new ConfigError(`The metadata service cannot listen on ${host}:${options.port ?? 8080}: ${error.message}.`, { hint: 'pick another --port or --host' });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log(`listening on ${url}${options.authToken ? ' (bearer token required)' : ''}, database ${describeDatabase(options.databaseUrl)}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        clearInterval(reaper);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await pool.end();
        log('stopped');
      })();
      return closing;
    },
  };
}
