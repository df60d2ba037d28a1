/** The apiserver's side of pods: building a Job's pod from its template, and the rules of pod deletion. */
import { generateName } from './admit';
import type { ObjectStore } from './objects';
import { qosClass } from './podStatus';
import { notFound } from './status';
import type { Job, Pod } from './types';
import { kubeTime } from './types';

/** A pod for one attempt of a Job: `<job>-<5 random chars>`, the template's labels, owned by the Job. */
export function podForJob(store: ObjectStore, job: Job): Pod {
  const namespace = job.metadata.namespace ?? 'default';
  const template = job.spec.template;
  let name = generateName(`${job.metadata.name}-`);
  while (store.has('pods', namespace, name)) name = generateName(`${job.metadata.name}-`);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `${job.metadata.name}-`,
      namespace,
      uid: '',
      resourceVersion: '',
      creationTimestamp: '',
      labels: { ...template.metadata?.labels },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: job.metadata.name,
          uid: job.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { serviceAccountName: 'default', enableServiceLinks: true, priority: 0, ...structuredClone(template.spec) },
    status: { phase: 'Pending' },
  };
  if (template.metadata?.annotations) pod.metadata.annotations = { ...template.metadata.annotations };
  pod.status.qosClass = qosClass(pod);
  return pod;
}

/**
 * DELETE of a pod. A pod that is running gets a deletionTimestamp and the kubelet takes it down within the grace
 * period (then the object goes); a pod that never reached the node, already finished, or is deleted with grace 0
 * goes at once. The grace period is the request's, else the pod's terminationGracePeriodSeconds, else 30 s.
 */
export function deletePod(store: ObjectStore, namespace: string, name: string, graceSeconds?: number): Pod {
  const pod = store.get<Pod>('pods', namespace, name);
  if (!pod) throw notFound('pods', '', name);
  if (pod.metadata.deletionTimestamp) return pod;
  const grace = graceSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  const finished = pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
  if (grace === 0 || finished || !pod.spec.nodeName) return store.remove<Pod>('pods', namespace, name) as Pod;
  const marked = store.modify<Pod>('pods', namespace, name, (p) => {
    p.metadata.deletionTimestamp = kubeTime(new Date(Date.now() + grace * 1000));
    p.metadata.deletionGracePeriodSeconds = grace;
  });
  return marked as Pod;
}

export function ownedBy(pod: Pod, uid: string): boolean {
  return (pod.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid && ref.controller === true);
}

export function isFinished(pod: Pod): boolean {
  return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
}
