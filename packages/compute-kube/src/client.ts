import { existsSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { PluginError } from '@flowkit/core/plugin';

export type KubernetesClient = typeof import('@kubernetes/client-node');
export type KubeConfig = InstanceType<KubernetesClient['KubeConfig']>;

/** What the client reads when nothing else is configured: the service account of the pod it runs in. */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The API's clients for one cluster, for runs and for `kubernetes list|kill` alike. */
export interface Cluster {
  k8s: KubernetesClient;
  kc: KubeConfig;
  batch: InstanceType<KubernetesClient['BatchV1Api']>;
  core: InstanceType<KubernetesClient['CoreV1Api']>;
  /** Where Jobs go that name no namespace: the kubeconfig context's, else `default`. */
  namespace: string;
  server: string;
}

/**
 * The cluster from the client's default chain: the first file of KUBECONFIG, else ~/.kube/config, else the
 * service account of the pod this runs in. The client (an ES module, ~0.7 s to load) is required only here,
 * when a run or a command needs it, never when the CLI registers the plugin.
 */
export function connect(): Cluster {
  let k8s: KubernetesClient;
  try {
    k8s = require('@kubernetes/client-node') as KubernetesClient;
  } catch (error) {
    throw new PluginError(`@flowkit/compute-kube could not load @kubernetes/client-node: ${(error as Error).message}`, {
      hint: 'it is an ES module that Node loads with require from 20.19, 22.12 and 24 on: upgrade Node',
    });
  }
  const file = (process.env.KUBECONFIG ?? '').split(delimiter).find(Boolean);
  if (file === undefined && !existsSync(join(homedir(), '.kube', 'config')) && !existsSync(IN_CLUSTER_TOKEN)) {
    throw new PluginError('No Kubernetes cluster is configured: KUBECONFIG is not set, ~/.kube/config does not exist and this is not a pod.', {
      hint: "point KUBECONFIG at your cluster's kubeconfig (e.g. kubectl config view --raw > cluster.yaml)",
    });
  }
  const kc = sharingAgents(k8s);
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw new PluginError(`Cannot read the Kubernetes config ${file ?? '~/.kube/config'}: ${(error as Error).message}`, {
      hint: 'set KUBECONFIG to a readable kubeconfig file',
    });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new PluginError(`The Kubernetes config ${file ?? '~/.kube/config'} names no current cluster.`, { hint: 'kubectl config use-context NAME' });
  return {
    k8s,
    kc,
    batch: kc.makeApiClient(k8s.BatchV1Api),
    core: kc.makeApiClient(k8s.CoreV1Api),
    namespace: kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default',
    server: cluster.server,
  };
}

/**
 * A KubeConfig whose requests share keep-alive agents. The client makes a new agent for every call, log follow and
 * watch, so each one opened its own connection (a TLS handshake, the CA parsed again): most of what the scheduler
 * spent per Job. Requests with the same TLS options (the agent's) now share one agent's connections; a proxy's
 * agent is left as the client made it.
 */
function sharingAgents(k8s: KubernetesClient): KubeConfig {
  const agents = new Map<string, HttpAgent>();
  const shared = <A>(agent: A): A => {
    const made = agent as unknown;
    if (!(made instanceof HttpAgent) || (made.constructor !== HttpAgent && made.constructor !== HttpsAgent)) return agent;
    const options = (made as HttpAgent & { options: Record<string, unknown> }).options;
    const https = made.constructor === HttpsAgent;
    const key = `${https ? 'https' : 'http'} ${JSON.stringify(options)}`;
    let kept = agents.get(key);
    if (!kept) {
      // One TLS context for all its connections, not one per connection parsed from the same CA and certificates.
      kept = https ? new HttpsAgent({ ...options, secureContext: createSecureContext(options), keepAlive: true }) : new HttpAgent({ ...options, keepAlive: true });
      agents.set(key, kept);
    }
    return kept as A;
  };
  return new (class extends k8s.KubeConfig {
    override async applySecurityAuthentication(context: Parameters<KubeConfig['applySecurityAuthentication']>[0]): Promise<void> {
      await super.applySecurityAuthentication(context);
      context.setAgent(shared(context.getAgent()) as HttpAgent);
    }

    override async applyToFetchOptions(opts: Parameters<KubeConfig['applyToFetchOptions']>[0]): ReturnType<KubeConfig['applyToFetchOptions']> {
      const init = await super.applyToFetchOptions(opts);
      return { ...init, agent: shared(init.agent) };
    }
  })();
}

/** The HTTP code of a failed call (an ApiException's), or undefined for a network or TLS error. */
export function statusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** One line for a failed call: the apiserver's own message (its Status), or the network error's. */
export function describe(error: unknown): string {
  const { body, code } = error as { body?: unknown; code?: unknown };
  if (typeof code === 'number') {
    let status = body;
    try {
      if (typeof body === 'string') status = JSON.parse(body) as unknown;
    } catch {
      // Not a Status: the code says it.
    }
    const message = (status as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? message : `HTTP ${code}`;
  }
  return (error as Error).message ?? String(error);
}

/** Throttling, a server error, or no answer at all: worth asking again. */
export function isTransient(error: unknown): boolean {
  const code = statusCode(error);
  return code === undefined || code === 429 || code >= 500;
}

const TRIES = 6;

/** Calls the API, again after a jittered, doubling wait (0.2 s up to 5 s) while the failure is transient. */
export async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= TRIES || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2)));
    }
  }
}
