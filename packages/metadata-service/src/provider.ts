import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  ConfigError,
  MetadataError,
  validateId,
  type ArtifactRef,
  type AttemptOutcome,
  type AttemptRecord,
  type Config,
  type MetadataProvider,
  type NewRun,
  type RunFilter,
  type RunRecord,
  type TaskFilter,
  type TaskInfo,
  type TaskRecord,
  type TaskRef,
} from '@flowkit/core/plugin';
import { API_PREFIX, MAX_ERROR_CHARS, MAX_PAGE_SIZE, type ErrorBody, type Page, type ServiceTask } from './wire';
import { ServiceSettings } from './settings';

/** How hard to try before giving up on the service: bounded, exponential, jittered. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** About 15 s in all: rides out a service restart or a short network blip, then fails clearly. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseMs: 100, maxMs: 3000 };
/** Before a run starts nothing is recorded yet, so a service that is down is reported at once. */
const CHECK_RETRY: RetryPolicy = { attempts: 3, baseMs: 100, maxMs: 400 };
const REQUEST_TIMEOUT_MS = 30_000;

export interface ServiceProviderOptions {
  url: string;
  /** Sent as a bearer token; never logged or put in messages. */
  authToken?: string;
  retry?: RetryPolicy;
}

/** The service answered 4xx: the request itself is wrong, so retrying would not help. */
class Refused extends MetadataError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    hint?: string,
  ) {
    super(message, { hint });
  }
}

/** Network failures, timeouts and 5xx: worth another try. */
class Transient extends Error {}

/**
 * The `service` metadata provider: every record goes to @flowkit/metadata-service over HTTP. Ids come from
 * the service; creates carry a request id chosen here, so a retried create is recorded once.
 */
export class ServiceMetadataProvider implements MetadataProvider {
  readonly name = 'service';
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly retry: RetryPolicy;
  private readonly authToken?: string;

  constructor(options: ServiceProviderOptions) {
    try {
      this.base = new URL(options.url);
    } catch {
      throw new ConfigError(`${ServiceSettings.url} ${JSON.stringify(options.url)} is not a URL.`, { hint: 'e.g. http://127.0.0.1:8080' });
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new ConfigError(`${ServiceSettings.url} must be an http:// or https:// URL, got ${this.base.protocol}.`, { hint: 'e.g. http://127.0.0.1:8080' });
    }
    this.agent = this.base.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.authToken = options.authToken;
  }

  /** Where the service is, as messages show it (no credentials). */
  get origin(): string {
    return this.base.origin;
  }

  async check(): Promise<void> {
    await this.call('GET', '/flows?limit=1', undefined, CHECK_RETRY);
  }

  async newRun(flowName: string, run: NewRun): Promise<RunRecord> {
    return this.call<RunRecord>('POST', `${this.path(flowName)}/runs`, { ...run, requestId: randomUUID() });
  }

  async newTask(ref: Omit<TaskRef, 'taskId'> & { taskId?: string }, info: TaskInfo = {}): Promise<TaskRecord> {
    const path = `${this.path(ref.flowName, ref.runId, ref.stepName)}/tasks`;
    return this.call<ServiceTask>('POST', path, { ...info, taskId: ref.taskId, requestId: randomUUID() });
  }

  async startAttempt(ref: TaskRef, attempt: number): Promise<void> {
    await this.call('POST', `${this.taskPath(ref)}/attempts/${attempt}/start`, {});
  }

  async finishAttempt(ref: TaskRef, attempt: number, outcome: AttemptOutcome): Promise<void> {
    const [error, died] = [outcome.error, outcome.died].map((text) => text?.slice(0, MAX_ERROR_CHARS));
    await this.call('POST', `${this.taskPath(ref)}/attempts/${attempt}/finish`, { status: outcome.status, error, died });
  }

  async listFlows(): Promise<string[]> {
    return (await this.all<{ flowName: string }>('/flows', new URLSearchParams())).map((f) => f.flowName);
  }

  async listRuns(flowName: string, filter: RunFilter = {}): Promise<RunRecord[]> {
    const query = new URLSearchParams();
    for (const tag of filter.tags ?? []) query.append('tag', tag);
    if (filter.status) query.set('status', filter.status);
    if (filter.since !== undefined) query.set('since', String(filter.since));
    if (filter.until !== undefined) query.set('until', String(filter.until));
    return this.all<RunRecord>(`${this.path(flowName)}/runs`, query, filter.limit);
  }

  async getRun(flowName: string, runId: string): Promise<RunRecord | undefined> {
    return this.found(this.call<RunRecord>('GET', this.path(flowName, runId)));
  }

  async listSteps(flowName: string, runId: string): Promise<string[]> {
    return (await this.all<{ stepName: string }>(`${this.path(flowName, runId)}/steps`, new URLSearchParams())).map((s) => s.stepName);
  }

  async listTasks(flowName: string, runId: string, stepName: string, filter: TaskFilter = {}): Promise<TaskRecord[]> {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.since !== undefined) query.set('since', String(filter.since));
    return this.all<ServiceTask>(`${this.path(flowName, runId, stepName)}/tasks`, query, filter.limit);
  }

  async getTask(ref: TaskRef): Promise<TaskRecord | undefined> {
    return this.found(this.call<ServiceTask>('GET', this.taskPath(ref)));
  }

  async listAttempts(ref: TaskRef): Promise<AttemptRecord[]> {
    return (await this.call<Page<AttemptRecord>>('GET', `${this.taskPath(ref)}/attempts`)).items;
  }

  async updateTags(flowName: string, runId: string, change: { add: string[]; remove: string[] }): Promise<string[]> {
    return (await this.call<{ tags: string[] }>('POST', `${this.path(flowName, runId)}/tags`, { ...change, requestId: randomUUID() })).tags;
  }

  async finishRun(flowName: string, runId: string, status: 'succeeded' | 'failed'): Promise<void> {
    await this.call('POST', `${this.path(flowName, runId)}/finish`, { status });
  }

  async heartbeat(flowName: string, runId: string, running: TaskRef[]): Promise<void> {
    await this.call('POST', `${this.path(flowName, runId)}/heartbeat`, { tasks: running.map((t) => ({ stepName: t.stepName, taskId: t.taskId })) });
  }

  async registerArtifacts(ref: TaskRef, attempt: number, artifacts: Record<string, ArtifactRef>): Promise<void> {
    await this.call('PUT', `${this.taskPath(ref)}/attempts/${attempt}/artifacts`, { artifacts });
  }

  async registerMetadata(ref: TaskRef, attempt: number, entries: Record<string, string>): Promise<void> {
    await this.call('PUT', `${this.taskPath(ref)}/attempts/${attempt}/metadata`, { entries });
  }

  /** Every page of a list, up to `max` items. */
  private async all<T>(path: string, query: URLSearchParams, max = Infinity): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams(query);
      q.set('limit', String(Math.min(MAX_PAGE_SIZE, max - items.length)));
      if (cursor) q.set('cursor', cursor);
      const page: Page<T> = await this.call<Page<T>>('GET', `${path}?${q}`);
      items.push(...page.items);
      cursor = page.next;
    } while (cursor && items.length < max);
    return items;
  }

  private async found<T>(answer: Promise<T>): Promise<T | undefined> {
    try {
      return await answer;
    } catch (error) {
      if (error instanceof Refused && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  /** Ids are checked here too, so nothing but a valid id ever becomes part of a URL. */
  private path(flowName: string, runId?: string, stepName?: string): string {
    let path = `/flows/${validateId('flow', flowName)}`;
    if (runId !== undefined) path += `/runs/${validateId('run', runId)}`;
    if (stepName !== undefined) path += `/steps/${validateId('step', stepName)}`;
    return path;
  }

  private taskPath(ref: TaskRef): string {
    return `${this.path(ref.flowName, ref.runId, ref.stepName)}/tasks/${validateId('task', ref.taskId)}`;
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, retry = this.retry): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = Date.now();
    let last: Error | undefined;
    for (let attempt = 0; attempt < retry.attempts; attempt++) {
      if (attempt > 0) {
        const delay = Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random() / 2)));
      }
      try {
        return (await this.once(method, path, payload)) as T;
      } catch (error) {
        if (!(error instanceof Transient)) throw error;
        last = error;
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    throw new MetadataError(`Metadata service ${this.origin} did not answer ${method} ${API_PREFIX}${path.split('?')[0]}: ${last?.message} (${retry.attempts} tries over ${seconds} s).`, {
      hint: `start it (flowkit metadata-service start --database-url postgres://...) or point ${ServiceSettings.url} at it`,
    });
  }

  private once(method: string, path: string, payload: Buffer | undefined): Promise<unknown> {
    const url = new URL(`${API_PREFIX}${path}`, this.base);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length });
    if (this.authToken) headers.authorization = `Bearer ${this.authToken}`;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(url, { method, headers, agent: this.agent, timeout: REQUEST_TIMEOUT_MS }, (response) => {
        readAnswer(response).then((answer) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(answer);
          const error = (answer as Partial<ErrorBody> | undefined)?.error;
          const what = error?.message ?? `HTTP ${status}`;
          if (status >= 500) return reject(new Transient(`HTTP ${status}: ${what}`));
          reject(new Refused(status, error?.code ?? 'unknown', `Metadata service ${this.origin} refused ${method} ${url.pathname}: ${what}`, error?.hint));
        }, (error: Error) => reject(new Transient(error.message)));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      request.on('error', (error: NodeJS.ErrnoException) => reject(new Transient(error.code ?? error.message)));
      request.end(payload);
    });
  }
}

async function readAnswer(response: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The provider as settings describe it: FLOWKIT_SERVICE_URL, and FLOWKIT_SERVICE_AUTH_KEY when the service wants a token. */
export function providerFromConfig(config: Config): ServiceMetadataProvider {
  const url = config.get(ServiceSettings.url);
  if (!url) {
    throw new ConfigError(`The service metadata provider needs ${ServiceSettings.url}.`, { hint: `set ${ServiceSettings.url}=http://host:port (where \`flowkit metadata-service start\` listens)` });
  }
  return new ServiceMetadataProvider({ url, authToken: config.get(ServiceSettings.authKey) });
}
