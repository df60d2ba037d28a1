/** Shared by this directory's tests: the server with a real client pointed at it, watches, and Job bodies. */
import { request } from 'node:https';
import { PassThrough } from 'node:stream';
import type { V1Container, V1EnvVar, V1Job, V1JobSpec, V1ObjectMeta, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { loadKubernetesClient, type KubernetesClient } from './clientNode';
import { KubeTestServer, type KubeTestServerOptions } from './kubeServer';

export interface Harness {
  server: KubeTestServer;
  k8s: KubernetesClient;
  kc: InstanceType<KubernetesClient['KubeConfig']>;
  batch: InstanceType<KubernetesClient['BatchV1Api']>;
  core: InstanceType<KubernetesClient['CoreV1Api']>;
}

export async function startHarness(options: KubeTestServerOptions = {}): Promise<Harness> {
  const server = await KubeTestServer.start({ gracePeriodMs: 500, ...options });
  const k8s = loadKubernetesClient();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfig());
  return { server, k8s, kc, batch: kc.makeApiClient(k8s.BatchV1Api), core: kc.makeApiClient(k8s.CoreV1Api) };
}

export interface WatchEvent {
  type: string;
  // Watch objects are raw JSON from the wire (the client does not deserialize them).
  object: { metadata: { name: string; resourceVersion: string; [k: string]: any }; [k: string]: any };
}

/** One client-node Watch, its events kept in order; `until` waits for an event matching a predicate. */
export class Watcher {
  readonly events: WatchEvent[] = [];
  readonly done: Promise<unknown>;
  private controller: AbortController | undefined;
  private waiters: { test: (e: WatchEvent) => boolean; resolve: (e: WatchEvent) => void }[] = [];
  private ended = false;

  private constructor(h: Harness, path: string, query: Record<string, string>) {
    let finish: (err: unknown) => void = () => {};
    this.done = new Promise((resolve) => (finish = resolve));
    void new h.k8s.Watch(h.kc)
      .watch(
        path,
        query,
        (type: string, object: WatchEvent['object']) => {
          const event = { type, object };
          this.events.push(event);
          this.waiters = this.waiters.filter((w) => !(w.test(event) && (w.resolve(event), true)));
        },
        (err: unknown) => {
          this.ended = true;
          finish(err);
        },
      )
      .then((c) => (this.controller = c));
  }

  static async open(h: Harness, path: string, query: Record<string, string> = {}): Promise<Watcher> {
    const answered = () => h.server.requests().filter((r) => r.path === path && r.query.watch === 'true' && r.status === 200).length;
    const before = answered();
    const watcher = new Watcher(h, path, query);
    // The stream is open once the server has answered it; no event after that can be missed.
    await waitFor(() => answered() > before || undefined, `the watch on ${path} to open`);
    return watcher;
  }

  until(test: (e: WatchEvent) => boolean, what: string, timeoutMs = 10_000): Promise<WatchEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no watch event: ${what}; saw ${this.describe()}`)), timeoutMs);
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  describe(): string {
    return this.events.map((e) => `${e.type} ${e.object.metadata?.name} rv=${e.object.metadata?.resourceVersion}`).join(', ');
  }

  get isEnded(): boolean {
    return this.ended;
  }

  stop(): void {
    this.controller?.abort();
  }
}

export function condition(job: WatchEvent['object'], type: string): { status: string; reason?: string } | undefined {
  return (job.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

type JobBody = V1Job & { metadata: V1ObjectMeta; spec: V1JobSpec & { template: V1PodTemplateSpec & { spec: V1PodSpec } } };

interface JobExtras {
  labels?: Record<string, string>;
  env?: V1EnvVar[];
  spec?: Omit<Partial<V1JobSpec>, 'template'>;
  container?: Partial<V1Container>;
}

/** A batch/v1 Job running `node -e script`, the shape a compute plugin sends. */
export function nodeJob(name: string, script: string, extra: JobExtras = {}): JobBody {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'flowkit', ...extra.labels } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { 'app.kubernetes.io/managed-by': 'flowkit', ...extra.labels } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'main',
              image: 'node:20-slim',
              command: ['node', '-e', script],
              env: extra.env ?? [],
              resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '1', memory: '2Gi' } },
              ...extra.container,
            },
          ],
        },
      },
      ...extra.spec,
    },
  };
}

/** A `Log` call whose output is collected; `ended` resolves when the server ends the stream. */
export async function followLog(h: Harness, pod: string, options: Record<string, unknown> = { follow: true }) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  await new h.k8s.Log(h.kc).log('default', pod, 'main', stream, options);
  return { text: () => text, ended };
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The ApiException a client call rejected with (client errors come from Node's main context, see clientNode). */
export async function apiError(call: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await call;
  } catch (error) {
    const e = error as { code: number; body: string };
    return { code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) : e.body };
  }
  throw new Error('the call succeeded');
}

/** A request past the client (the server's CA trusted, nothing else), for what the client hides: headers, raw codes. */
export function rawRequest(h: Harness, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: () => any }>((resolve, reject) => {
    const req = request(`${h.server.url}${path}`, { method: init.method ?? 'GET', headers: init.headers, ca: h.server.ca }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
