export { BatchTestServer } from './batch/batchServer';
export type { BatchTestServerOptions, SubmittedJob } from './batch/batchServer';
export { KubeTestServer } from './kube/kubeServer';
export type { FailureFilter, KubeTestServerOptions, RecordedRequest } from './kube/kubeServer';
export { loadKubernetesClient } from './kube/clientNode';
export type { KubernetesClient } from './kube/clientNode';
export { GcsTestServer } from './gcs/gcsServer';
export type { GcsRequest, GcsTestServerOptions } from './gcs/gcsServer';
