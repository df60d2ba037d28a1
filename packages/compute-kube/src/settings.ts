/** Kubernetes settings (FLOWKIT_* names, from the environment or the profile `flowkit configure` writes). */
export const KubernetesSettings = {
  /** The namespace of Jobs without their own (default: the kubeconfig context's, else `default`). */
  namespace: 'FLOWKIT_KUBERNETES_NAMESPACE',
  /** The container image (default: the stock `node:<major>` image of the Node that runs the scheduler). */
  image: 'FLOWKIT_KUBERNETES_CONTAINER_IMAGE',
  /** The service account pods run as: what lets a task reach the datastore (e.g. through workload identity). */
  serviceAccount: 'FLOWKIT_KUBERNETES_SERVICE_ACCOUNT',
  /**
   * Secrets (comma-separated names) whose keys become every pod's environment variables (envFrom): the only way
   * a secret setting (e.g. FLOWKIT_SERVICE_AUTH_KEY, stored under that key) reaches a pod.
   */
  secrets: 'FLOWKIT_KUBERNETES_SECRETS',
  /** Node labels every pod must match, `key=value,key=value`. */
  nodeSelector: 'FLOWKIT_KUBERNETES_NODE_SELECTOR',
  /** `nvidia` or `amd`: the resource GPUs are asked for as (`nvidia.com/gpu`). */
  gpuVendor: 'FLOWKIT_KUBERNETES_GPU_VENDOR',
  /** Seconds a container may wait on its image (ErrImagePull, ImagePullBackOff) or config before its task fails. */
  imagePullGraceSeconds: 'FLOWKIT_KUBERNETES_IMAGE_PULL_GRACE_SECONDS',
  /** Seconds a pod may stay unschedulable (no node has room; an autoscaler may add one) before its task fails. */
  unschedulableSeconds: 'FLOWKIT_KUBERNETES_UNSCHEDULABLE_SECONDS',
  /** Seconds a finished Job (and its pod, with its logs) stays in the cluster. */
  jobTtlSeconds: 'FLOWKIT_KUBERNETES_JOB_TTL_SECONDS',
} as const;
