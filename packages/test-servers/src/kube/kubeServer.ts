import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admitNamespace } from './admit';
import { loadKubernetesClient } from './clientNode';
import { JobController } from './jobController';
import { Kubelet } from './kubelet';
import { ObjectStore } from './objects';
import { Routes, type ApiRequest } from './routes';
import { ApiError, badRequest, injectedFailure } from './status';
import { makeCertificates } from './tls';
import type { Job, Pod } from './types';
import { WatchHub } from './watch';

export interface KubeTestServerOptions {
  /** Namespaces that exist from the start (default `['default']`); more can be created with POST /api/v1/namespaces. */
  namespaces?: string[];
  /** Delay between the pod states a watcher should see (Pending, ContainerCreating, Running); default 10 ms. */
  stateDelayMs?: number;
  /** Caps every grace period (pod deletion, deadline kills) at this many ms so tests need not wait 30 s. */
  gracePeriodMs?: number;
  /** Watch events kept for resuming watches; older resourceVersions get 410 Expired. Default 10 000. */
  watchHistory?: number;
  /** What the node can allocate, as quantities (`{ cpu: '4', memory: '8Gi' }`); a pod asking more is Unschedulable. */
  nodeCapacity?: Record<string, string>;
  /** Images that cannot be pulled: their pods wait in ErrImagePull, then ImagePullBackOff. */
  unpullableImages?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
  /** The HTTP status; undefined while a watch or log stream has not answered yet. */
  status?: number;
  at: Date;
}

export interface FailureFilter {
  method?: string;
  /** A path prefix or a pattern the request path must match. */
  path?: string | RegExp;
}

/**
 * A Kubernetes apiserver for tests, over HTTPS on 127.0.0.1 (a CA of its own, in its kubeconfig), for the real `@kubernetes/client-node`: batch/v1
 * Jobs, Pods, Secrets and Namespaces with watches and logs, a Job controller, and a one-node kubelet that runs each
 * pod's command as a local process. See the package README for what it does not do.
 */
export class KubeTestServer {
  readonly url: string;
  /** The bearer token every request must carry (the kubeconfig's user has it). */
  readonly token = randomBytes(16).toString('hex');
  private readonly store: ObjectStore;
  private readonly watches: WatchHub;
  private readonly controller: JobController;
  private readonly kubelet: Kubelet;
  private readonly routes: Routes;
  private readonly recorded: { record: RecordedRequest; res: ServerResponse }[] = [];
  private failures: { remaining: number; code: number; filter: FailureFilter }[] = [];

  private constructor(
    private readonly server: Server,
    private readonly root: string,
    /** The PEM certificate of the CA that signed the server's certificate: what clients trust. */
    readonly ca: string,
    options: KubeTestServerOptions,
  ) {
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.store = new ObjectStore(options.watchHistory);
    const stepMs = options.stateDelayMs ?? 10;
    const cap = options.gracePeriodMs;
    const graceMs = (seconds: number) => (cap === undefined ? seconds * 1000 : Math.min(seconds * 1000, cap));
    this.watches = new WatchHub(this.store);
    this.controller = new JobController(this.store, stepMs);
    this.kubelet = new Kubelet(this.store, {
      stepMs,
      graceMs,
      podsDir: join(root, 'pods'),
      capacity: options.nodeCapacity ?? {},
      unpullableImages: new Set(options.unpullableImages),
    });
    this.routes = new Routes({ store: this.store, jobs: this.controller, kubelet: this.kubelet, watches: this.watches });
    for (const name of options.namespaces ?? ['default']) {
      this.store.create('namespaces', admitNamespace({ metadata: { name } }));
    }
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.serve(req, res));
  }

  static async start(options: KubeTestServerOptions = {}): Promise<KubeTestServer> {
    const root = mkdtempSync(join(tmpdir(), 'flowkit-kube-'));
    const { ca, key, cert } = await makeCertificates(root);
    const server = createServer({ key, cert });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new KubeTestServer(server, root, ca, options);
  }

  /** Writes a kubeconfig for this server (its CA, its token) and returns its path (usable as KUBECONFIG). */
  kubeconfig(namespace = 'default'): string {
    const path = join(this.root, 'kubeconfig.yaml');
    const yaml = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: flowkit-test',
      '  cluster:',
      `    server: ${this.url}`,
      `    certificate-authority-data: ${Buffer.from(this.ca).toString('base64')}`,
      'users:',
      '- name: flowkit-test',
      '  user:',
      `    token: ${this.token}`,
      'contexts:',
      '- name: flowkit-test',
      '  context:',
      '    cluster: flowkit-test',
      '    user: flowkit-test',
      `    namespace: ${namespace}`,
      'current-context: flowkit-test',
      '',
    ].join('\n');
    writeFileSync(path, yaml);
    return path;
  }

  /** Stores a Secret as a cluster admin would (`kubectl create secret generic`), through the real client. */
  async createSecret(name: string, stringData: Record<string, string>, namespace = 'default'): Promise<void> {
    const k8s = loadKubernetesClient();
    const config = new k8s.KubeConfig();
    config.loadFromFile(this.kubeconfig());
    await config.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({ namespace, body: { metadata: { name }, stringData } });
  }

  /** The kubelet evicts the pod: its process is SIGKILLed, the pod fails with reason `Evicted`. */
  evictPod(name: string, namespace = 'default'): void {
    this.kubelet.evict(namespace, name);
  }

  /** The container is OOM-killed: exit code 137, container reason `OOMKilled`. */
  oomKillPod(name: string, namespace = 'default'): void {
    this.kubelet.oomKill(namespace, name);
  }

  /** The next `count` requests (matching `filter`) answer `code` with a Status body (429 carries Retry-After). */
  failNext(count: number, code = 500, filter: FailureFilter = {}): void {
    this.failures.push({ remaining: count, code, filter });
  }

  /** Ends every open watch stream, as an apiserver restart does; returns how many there were. */
  dropWatches(): number {
    const open = this.watches.count();
    this.watches.dropAll();
    return open;
  }

  /** Forgets the watch history (etcd compaction): a watch from any earlier resourceVersion gets 410 Expired. */
  expireWatchHistory(): void {
    this.store.compact();
  }

  jobs(namespace?: string): Job[] {
    return this.store.list<Job>('jobs', namespace);
  }

  pods(namespace?: string): Pod[] {
    return this.store.list<Pod>('pods', namespace);
  }

  /** The pid of a pod's container process, while it has one. */
  podPid(name: string, namespace = 'default'): number | undefined {
    return this.kubelet.pid(namespace, name);
  }

  requests(): RecordedRequest[] {
    return this.recorded.map(({ record, res }) => ({ ...record, status: res.headersSent ? res.statusCode : undefined }));
  }

  /** Kills every pod process, ends every stream, closes the port and removes the pods' directories. */
  async stop(): Promise<void> {
    this.controller.stop();
    this.kubelet.stop();
    this.watches.dropAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.root, { recursive: true, force: true });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      at: new Date(),
    };
    this.recorded.push({ record, res });
    try {
      const body = await readJson(req);
      if (body !== undefined) record.body = body;
      if (req.headers.authorization !== `Bearer ${this.token}`) {
        throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      }
      this.injectFailure(record);
      const request: ApiRequest = { method: record.method, path: url.pathname, query: url.searchParams, body };
      const answer = this.routes.handle(request, res);
      if (answer !== 'streamed') sendJson(res, answer.code, answer.body, answer.headers);
    } catch (thrown) {
      // A bug in this server answers 500 with its message, so the test that hit it sees why.
      const error =
        thrown instanceof ApiError ? thrown : new ApiError(500, 'InternalError', `Internal error occurred: ${String(thrown)}`);
      const headers: Record<string, string> = error.code === 429 ? { 'Retry-After': '1' } : {};
      if (res.headersSent) res.end();
      else sendJson(res, error.code, error.toStatus(), headers);
    }
  }

  private injectFailure(record: RecordedRequest): void {
    const failure = this.failures.find(({ filter }) => {
      if (filter.method && filter.method.toUpperCase() !== record.method) return false;
      if (typeof filter.path === 'string') return record.path.startsWith(filter.path);
      return filter.path ? filter.path.test(record.path) : true;
    });
    if (!failure) return;
    if (--failure.remaining <= 0) this.failures = this.failures.filter((f) => f !== failure);
    throw injectedFailure(failure.code);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest(`couldn't get version/kind; json parse error: invalid JSON in the request body`);
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
