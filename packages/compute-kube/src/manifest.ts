import { createHash, randomInt } from 'node:crypto';
import type { RemoteTaskCommand, TaskRef } from '@flowkit/core/plugin';
import type { V1Job } from '@kubernetes/client-node';
import { podResources, type KubernetesAttributes } from './attributes';

/** Label keys on every Job and pod FlowKit creates; `kubernetes list|kill` and the run's watch select on them. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  flow: 'flowkit.dev/flow',
  run: 'flowkit.dev/run',
  step: 'flowkit.dev/step',
  task: 'flowkit.dev/task',
  attempt: 'flowkit.dev/attempt',
  user: 'flowkit.dev/user',
} as const;

/** Annotations keep what labels had to shorten or clean: the task's exact pathspec and user. */
export const ANNOTATIONS = { pathspec: 'flowkit.dev/pathspec', user: 'flowkit.dev/user' } as const;

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * A label value within Kubernetes' rules (63 characters of letters, digits, `-`, `_`, `.`, alphanumeric at both
 * ends): other characters become `-`, and a value cut short ends with a hash of the whole, so it stays distinct.
 */
export function labelValue(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (clean.length <= 63) return clean;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return `${clean.slice(0, 54).replace(/[^A-Za-z0-9]+$/, '')}-${hash}`;
}

/** The selector of FlowKit's Jobs and pods, narrowed by flow, run and user where given. */
export function selector(filter: { flow?: string; runId?: string; user?: string }): string {
  const terms = [`${LABELS.managedBy}=flowkit`];
  if (filter.flow !== undefined) terms.push(`${LABELS.flow}=${labelValue(filter.flow)}`);
  if (filter.runId !== undefined) terms.push(`${LABELS.run}=${labelValue(filter.runId)}`);
  if (filter.user !== undefined) terms.push(`${LABELS.user}=${labelValue(filter.user)}`);
  return terms.join(',');
}

/**
 * `flow-step-run-task-attempt-xxxxx` in lower case, within the 63 characters of a Job name (the ids are kept, the
 * flow and step cut first). The random end keeps two runs with the same ids (two datastore roots) apart, and a
 * create retried after a lost answer finds its own Job (409) instead of making a second one.
 */
export function jobName(ref: TaskRef, attempt: number): string {
  const dns = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const ids = dns(`${ref.runId}-${ref.taskId}-${attempt}`).slice(-56);
  const head = dns(`${ref.flowName}-${ref.stepName}`).slice(0, Math.max(0, 56 - ids.length)).replace(/-+$/, '');
  const suffix = Array.from({ length: 5 }, () => NAME_ALPHABET[randomInt(NAME_ALPHABET.length)]).join('');
  return `${head ? `${head}-` : ''}${ids}-${suffix}`.replace(/^-+/, '');
}

export interface JobRequest {
  name: string;
  namespace: string;
  ref: TaskRef;
  attempt: number;
  user: string;
  command: RemoteTaskCommand;
  attributes: KubernetesAttributes;
  resources: ReturnType<typeof podResources>;
  ttlSecondsAfterFinished: number;
  /** A backstop for `@timeout` when the scheduler is gone (it stops the Job itself on time). */
  activeDeadlineSeconds?: number;
}

/**
 * One attempt as a batch/v1 Job: one pod, never retried by Kubernetes (`backoffLimit: 0`: FlowKit owns retries),
 * running the bootstrap with the run's settings as its environment. Secrets are only referenced (envFrom), so no
 * credential is ever written into the manifest.
 */
export function jobManifest(request: JobRequest): V1Job {
  const { ref, attributes, resources } = request;
  const labels = {
    ...attributes.labels,
    [LABELS.managedBy]: 'flowkit',
    [LABELS.flow]: labelValue(ref.flowName),
    [LABELS.run]: labelValue(ref.runId),
    [LABELS.step]: labelValue(ref.stepName),
    [LABELS.task]: labelValue(ref.taskId),
    [LABELS.attempt]: String(request.attempt),
    [LABELS.user]: labelValue(request.user),
  };
  const annotations = { ...attributes.annotations, [ANNOTATIONS.pathspec]: `${ref.flowName}/${ref.runId}/${ref.stepName}/${ref.taskId}`, [ANNOTATIONS.user]: request.user };
  const gpu = resources.gpu > 0 ? { [`${attributes.gpuVendor}.com/gpu`]: String(resources.gpu) } : {};
  const claims = Object.entries(attributes.persistentVolumeClaims).map(([claimName, mountPath], i) => ({ name: `pvc-${i}`, claimName, mountPath }));
  const downward = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: request.name, namespace: request.namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: request.ttlSecondsAfterFinished,
      activeDeadlineSeconds: request.activeDeadlineSeconds,
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: attributes.serviceAccount,
          nodeSelector: Object.keys(attributes.nodeSelector).length > 0 ? attributes.nodeSelector : undefined,
          tolerations: attributes.tolerations.length > 0 ? attributes.tolerations : undefined,
          volumes: claims.map(({ name, claimName }) => ({ name, persistentVolumeClaim: { claimName } })),
          containers: [
            {
              name: 'main',
              image: attributes.image,
              command: request.command.argv,
              env: [
                ...Object.entries(request.command.env).map(([name, value]) => ({ name, value })),
                downward('FLOWKIT_KUBERNETES_POD_NAME', 'metadata.name'),
                downward('FLOWKIT_KUBERNETES_POD_NAMESPACE', 'metadata.namespace'),
              ],
              envFrom: attributes.secrets.map((name) => ({ secretRef: { name } })),
              // The memory request is also the limit: a task past it is OOMKilled and says so, instead of
              // starving the node's other pods. CPU is not limited (no throttling of a task that could go faster).
              resources: {
                requests: { cpu: String(resources.cpu), memory: `${resources.memory}Mi`, 'ephemeral-storage': `${resources.disk}Mi`, ...gpu },
                limits: { memory: `${resources.memory}Mi`, ...gpu },
              },
              volumeMounts: claims.map(({ name, mountPath }) => ({ name, mountPath })),
            },
          ],
        },
      },
    },
  };
}
