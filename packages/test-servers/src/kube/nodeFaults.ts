/** What keeps a pod from starting on the one node: too little capacity for its requests, an image it cannot pull. */
import type { Pod } from './types';
import { parseQuantity } from './validation';

/**
 * The default scheduler's message when the pod's requests (limits stand in for missing requests, as the apiserver
 * defaults them) exceed what the node can allocate, e.g. "0/1 nodes are available: 1 Insufficient cpu."; undefined
 * when the pod fits.
 */
export function unschedulable(pod: Pod, capacity: Record<string, string>): string | undefined {
  const short: string[] = [];
  for (const [resource, allocatable] of Object.entries(capacity)) {
    let wanted = 0;
    for (const container of pod.spec.containers) {
      const quantity = container.resources?.requests?.[resource] ?? container.resources?.limits?.[resource];
      wanted += quantity === undefined ? 0 : (parseQuantity(quantity) ?? 0);
    }
    if (wanted > (parseQuantity(allocatable) ?? 0)) short.push(`Insufficient ${resource}`);
  }
  if (short.length === 0) return undefined;
  return (
    `0/1 nodes are available: ${short.map((s) => `1 ${s}`).join(', ')}. ` +
    'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.'
  );
}

/** The waiting states of a container whose image cannot be pulled, as containerd and the kubelet report them. */
export function pullFailure(image: string, backOff: boolean): { reason: string; message: string } {
  if (backOff) return { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` };
  const reference = image.includes('/') ? image : `docker.io/library/${image}`;
  return {
    reason: 'ErrImagePull',
    message:
      `failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": ` +
      'pull access denied, repository does not exist or may require authorization',
  };
}
