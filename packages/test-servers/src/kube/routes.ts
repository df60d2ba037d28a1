import type { ServerResponse } from 'node:http';
import { admitJob, admitNamespace, admitSecret } from './admit';
import type { JobController, PropagationPolicy } from './jobController';
import type { Kubelet } from './kubelet';
import { parseLogQuery } from './logs';
import type { ObjectStore } from './objects';
import { deletePod } from './pods';
import { FieldSelector, LabelSelector } from './selectors';
import { ApiError, alreadyExists, badRequest, notFound, successStatus } from './status';
import type { KubeObject, Pod, Resource } from './types';
import { kubeTime } from './types';
import { isObject } from './validation';
import type { WatchHub } from './watch';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** What a handler answers: a JSON body with its code, or a stream it wrote itself (watch, log). */
export type ApiResponse = { code: number; body: unknown; headers?: Record<string, string> } | 'streamed';

interface ResourceInfo {
  kind: string;
  apiVersion: string;
  group: string;
  namespaced: boolean;
}

const RESOURCES: Record<Resource, ResourceInfo> = {
  namespaces: { kind: 'Namespace', apiVersion: 'v1', group: '', namespaced: false },
  pods: { kind: 'Pod', apiVersion: 'v1', group: '', namespaced: true },
  secrets: { kind: 'Secret', apiVersion: 'v1', group: '', namespaced: true },
  jobs: { kind: 'Job', apiVersion: 'batch/v1', group: 'batch', namespaced: true },
};

const ORPHAN_WARNING =
  '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to ' +
  'remove them or set propagationPolicy=Orphan to suppress this warning"';

/** The parts of the server the routes drive. */
export interface ApiParts {
  store: ObjectStore;
  jobs: JobController;
  kubelet: Kubelet;
  watches: WatchHub;
}

type Handler = (request: ApiRequest, params: string[], res: ServerResponse) => ApiResponse;

/** The REST paths this server serves: the core and batch groups' collection and item URLs it implements. */
export class Routes {
  private readonly table: { method: string; pattern: RegExp; handler: Handler }[] = [];

  constructor(private readonly parts: ApiParts) {
    const ns = '/namespaces/([^/]+)';
    const add = (method: string, path: string, handler: Handler) =>
      this.table.push({ method, pattern: new RegExp(`^${path}$`), handler });
    add('GET', '/version', () => ({ code: 200, body: { major: '1', minor: '33', gitVersion: 'v1.33.0-flowkit-test' } }));
    add('GET', '/api/v1/namespaces', (r, _p, res) => this.list('namespaces', undefined, r, res));
    add('POST', '/api/v1/namespaces', (r) => this.create('namespaces', undefined, admitNamespace(r.body), r));
    add('GET', `/api/v1${ns}`, (_r, [n]) => this.get('namespaces', undefined, n as string));
    for (const [prefix, resource] of [['/api/v1', 'pods'], ['/api/v1', 'secrets'], ['/apis/batch/v1', 'jobs']] as const) {
      add('GET', `${prefix}/${resource}`, (r, _p, res) => this.list(resource, undefined, r, res));
      add('GET', `${prefix}${ns}/${resource}`, (r, [n], res) => this.list(resource, n, r, res));
      add('GET', `${prefix}${ns}/${resource}/([^/]+)`, (_r, [n, name]) => this.get(resource, n, name as string));
    }
    add('GET', `/api/v1${ns}/pods/([^/]+)/status`, (_r, [n, name]) => this.get('pods', n, name as string));
    add('GET', `/apis/batch/v1${ns}/jobs/([^/]+)/status`, (_r, [n, name]) => this.get('jobs', n, name as string));
    add('POST', `/api/v1${ns}/secrets`, (r, [n]) => this.create('secrets', n, admitSecret(r.body, this.namespace(n)), r));
    add('POST', `/apis/batch/v1${ns}/jobs`, (r, [n]) => this.create('jobs', n, admitJob(r.body, this.namespace(n)), r));
    add('DELETE', `/api/v1${ns}/secrets/([^/]+)`, (r, [n, name]) => this.deleteSecret(n as string, name as string, r));
    add('DELETE', `/api/v1${ns}/pods/([^/]+)`, (r, [n, name]) => this.deletePod(n as string, name as string, r));
    add('DELETE', `/apis/batch/v1${ns}/jobs/([^/]+)`, (r, [n, name]) => this.deleteJob(n as string, name as string, r));
    add('GET', `/api/v1${ns}/pods/([^/]+)/log`, (r, [n, name], res) => this.log(n as string, name as string, r, res));
  }

  handle(request: ApiRequest, res: ServerResponse): ApiResponse {
    let pathMatched = false;
    for (const route of this.table) {
      const m = route.pattern.exec(request.path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== request.method) continue;
      return route.handler(request, m.slice(1).map(decodeURIComponent), res);
    }
    if (pathMatched) {
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource (${request.method} is not implemented by ` +
          'the FlowKit Kubernetes test server)',
      );
    }
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }

  /** A namespaced create needs its namespace to exist. */
  private namespace(name: string | undefined): string {
    if (name !== undefined && this.parts.store.has('namespaces', undefined, name)) return name;
    throw notFound('namespaces', '', name ?? '');
  }

  private create(resource: Resource, namespace: string | undefined, object: KubeObject, request: ApiRequest): ApiResponse {
    const info = RESOURCES[resource];
    if (this.parts.store.has(resource, namespace, object.metadata.name)) {
      throw alreadyExists(resource, info.group, object.metadata.name);
    }
    if (request.query.get('dryRun') === 'All') {
      return { code: 201, body: { ...object, metadata: { ...object.metadata, creationTimestamp: kubeTime() } } };
    }
    return { code: 201, body: this.parts.store.create(resource, object) };
  }

  private get(resource: Resource, namespace: string | undefined, name: string): ApiResponse {
    const object = this.parts.store.get(resource, namespace, name);
    if (!object) throw notFound(resource, RESOURCES[resource].group, name);
    return { code: 200, body: object };
  }

  /** A list (items without kind and apiVersion, as the apiserver sends them) or, with `watch`, a watch stream. */
  private list(resource: Resource, namespace: string | undefined, request: ApiRequest, res: ServerResponse): ApiResponse {
    const info = RESOURCES[resource];
    const labels = LabelSelector.parse(request.query.get('labelSelector'));
    const fields = FieldSelector.parse(request.query.get('fieldSelector'), info.kind);
    const watch = request.query.get('watch');
    if (watch === 'true' || watch === '1') {
      const resourceVersion = request.query.get('resourceVersion') ?? '';
      const timeoutSeconds = Number(request.query.get('timeoutSeconds') ?? '');
      const watchRequest = { resource, namespace, labels, fields, resourceVersion };
      const timed = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0;
      this.parts.watches.serve(timed ? { ...watchRequest, timeoutSeconds } : watchRequest, res);
      return 'streamed';
    }
    const resourceVersion = this.parts.store.resourceVersion();
    const items = this.parts.store
      .list(resource, namespace)
      .filter((o) => labels.matches(o.metadata.labels) && fields.matches(o))
      .map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    const body = { kind: `${info.kind}List`, apiVersion: info.apiVersion, metadata: { resourceVersion }, items };
    return { code: 200, body };
  }

  private deleteSecret(namespace: string, name: string, request: ApiRequest): ApiResponse {
    const options = deleteOptions(request);
    const secret = this.parts.store.get('secrets', namespace, name);
    if (!secret) throw notFound('secrets', '', name);
    checkPreconditions(secret, options.preconditions);
    this.parts.store.remove('secrets', namespace, name);
    return { code: 200, body: successStatus({ name, kind: 'secrets', uid: secret.metadata.uid }) };
  }

  private deletePod(namespace: string, name: string, request: ApiRequest): ApiResponse {
    const options = deleteOptions(request);
    const pod = this.parts.store.get('pods', namespace, name);
    if (!pod) throw notFound('pods', '', name);
    checkPreconditions(pod, options.preconditions);
    return { code: 200, body: deletePod(this.parts.store, namespace, name, options.gracePeriodSeconds) };
  }

  private deleteJob(namespace: string, name: string, request: ApiRequest): ApiResponse {
    const options = deleteOptions(request);
    const job = this.parts.store.get('jobs', namespace, name);
    if (!job) throw notFound('jobs', 'batch', name);
    checkPreconditions(job, options.preconditions);
    const policy = options.propagationPolicy ?? 'Orphan';
    const body = this.parts.jobs.deleteJob(namespace, name, policy, options.gracePeriodSeconds);
    const headers: Record<string, string> = options.propagationPolicy ? {} : { Warning: ORPHAN_WARNING };
    return { code: 200, body, headers };
  }

  /** Plain-text container logs; `follow` streams until the container exits. */
  private log(namespace: string, name: string, request: ApiRequest, res: ServerResponse): ApiResponse {
    const pod = this.parts.store.get<Pod>('pods', namespace, name);
    if (!pod) throw notFound('pods', '', name);
    const container = pod.spec.containers[0];
    const wanted = request.query.get('container') || container?.name;
    if (wanted !== container?.name) throw badRequest(`container ${wanted} is not valid for pod ${name}`);
    if (request.query.get('previous') === 'true') {
      throw badRequest(`previous terminated container "${wanted}" in pod "${name}" not found`);
    }
    const query = parseLogQuery(request.query);
    const state = pod.status.containerStatuses?.[0]?.state;
    const log = this.parts.kubelet.log(namespace, name);
    if (!log || !state || state.waiting) {
      const reason = state?.waiting?.reason ?? 'ContainerCreating';
      throw badRequest(`container "${wanted}" in pod "${name}" is waiting to start: ${reason}`);
    }
    log.serve(query, res);
    return 'streamed';
  }
}

interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** DeleteOptions from the body (client-node sends them there) or the query, checked as the apiserver does. */
function deleteOptions(request: ApiRequest): DeleteOptions {
  const body = isObject(request.body) ? request.body : {};
  const read = (name: string): unknown => body[name] ?? request.query.get(name) ?? undefined;
  const options: DeleteOptions = {};
  const policy = read('propagationPolicy');
  const orphan = read('orphanDependents');
  if (policy !== undefined && orphan !== undefined) {
    throw new ApiError(422, 'Invalid', 'DeleteOptions is invalid: orphanDependents and deletionPropagation cannot be both set');
  }
  if (policy !== undefined) {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      const message =
        `DeleteOptions is invalid: propagationPolicy: Unsupported value: "${String(policy)}": ` +
        'supported values: "Foreground", "Background", "Orphan"';
      throw new ApiError(422, 'Invalid', message);
    }
    options.propagationPolicy = policy;
  } else if (orphan !== undefined) {
    options.propagationPolicy = orphan === true || orphan === 'true' ? 'Orphan' : 'Background';
  }
  const grace = read('gracePeriodSeconds');
  if (grace !== undefined) {
    const seconds = Number(grace);
    if (!Number.isInteger(seconds) || seconds < 0) throw badRequest(`gracePeriodSeconds: Invalid value: ${String(grace)}`);
    options.gracePeriodSeconds = seconds;
  }
  if (isObject(body.preconditions)) options.preconditions = body.preconditions as DeleteOptions['preconditions'];
  return options;
}

function checkPreconditions(object: KubeObject, preconditions: DeleteOptions['preconditions']): void {
  const { uid, resourceVersion } = preconditions ?? {};
  const conflict = (field: string, wanted: string, actual: string) =>
    new ApiError(409, 'Conflict', `Precondition failed: ${field} in precondition: ${wanted}, ${field} in object meta: ${actual}`);
  if (uid && uid !== object.metadata.uid) throw conflict('UID', uid, object.metadata.uid);
  if (resourceVersion && resourceVersion !== object.metadata.resourceVersion) {
    throw conflict('ResourceVersion', resourceVersion, object.metadata.resourceVersion);
  }
}
