import { PluginError, integer, nodeImage, numberAttribute, positive, refuseUnknown, stringAttribute, type Config, type TaskResources } from '@flowkit/core/plugin';
import { KubernetesSettings } from './settings';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

/** `@kubernetes(...)` checked, with the settings' defaults filled in. */
export interface KubernetesAttributes {
  cpu: number;
  /** MiB, also the container's memory limit. */
  memory: number;
  /** MiB of ephemeral storage (the pod's scratch directory and logs). */
  disk: number;
  gpu: number;
  gpuVendor: 'nvidia' | 'amd';
  image: string;
  /** Unset: the setting's, else the kubeconfig context's, else `default` (known only where the cluster is). */
  namespace?: string;
  serviceAccount?: string;
  /** Secrets whose keys become environment variables: the setting's and the step's. */
  secrets: string[];
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Claim name -> where it is mounted in the container. */
  persistentVolumeClaims: Record<string, string>;
}

const KNOWN = ['cpu', 'memory', 'disk', 'gpu', 'gpuVendor', 'image', 'namespace', 'serviceAccount', 'secrets', 'nodeSelector', 'tolerations', 'labels', 'annotations', 'persistentVolumeClaims'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const TOLERATION_FIELDS = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];

/** A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  return (slash < 0 || SUBDOMAIN.test(key.slice(0, slash))) && LABEL_NAME.test(key.slice(slash + 1));
}

const isLabelValue = (value: string) => value === '' || LABEL_NAME.test(value);

export function validateKubernetesAttributes(attributes: Record<string, unknown>, config: Config): KubernetesAttributes {
  refuseUnknown('kubernetes', attributes, KNOWN);
  const number = (name: string, check: (n: number) => boolean, expected: string, fallback: number) =>
    numberAttribute('kubernetes', attributes, name, check, expected, fallback) as number;
  const text = (name: string, fallback: string | undefined, pattern: RegExp) => stringAttribute('kubernetes', attributes, name, fallback, pattern);
  const vendor = text('gpuVendor', config.get(KubernetesSettings.gpuVendor) ?? 'nvidia', /^(nvidia|amd)$/) as 'nvidia' | 'amd';
  return {
    cpu: number('cpu', positive, 'a number of CPUs above 0', 1),
    memory: number('memory', integer(4, 10_000_000), 'a whole number of MiB, at least 4', 4096),
    disk: number('disk', integer(1, 100_000_000), 'a whole number of MiB', 10240),
    gpu: number('gpu', integer(0, 64), 'a whole number of GPUs', 0),
    gpuVendor: vendor,
    image: text('image', config.get(KubernetesSettings.image) ?? nodeImage(), /^\S{1,1024}$/) as string,
    namespace: text('namespace', config.get(KubernetesSettings.namespace), DNS_LABEL),
    serviceAccount: text('serviceAccount', config.get(KubernetesSettings.serviceAccount), SUBDOMAIN),
    secrets: [...new Set([...names(KubernetesSettings.secrets, config.get(KubernetesSettings.secrets)), ...names('secrets', attributes.secrets)])],
    nodeSelector: {
      ...map(KubernetesSettings.nodeSelector, config.get(KubernetesSettings.nodeSelector), isLabelValue),
      ...map('nodeSelector', attributes.nodeSelector, isLabelValue),
    },
    tolerations: tolerations(attributes.tolerations),
    labels: map('labels', attributes.labels, isLabelValue),
    annotations: map('annotations', attributes.annotations, () => true),
    persistentVolumeClaims: claims(attributes.persistentVolumeClaims),
  };
}

function invalid(name: string, value: unknown, expected: string, example: string): PluginError {
  return new PluginError(`@kubernetes: ${name}=${JSON.stringify(value)} is not valid; ${name} takes ${expected}.`, { hint: `e.g. ${example}` });
}

/** Secret names: a list, one name, or (a setting) comma-separated names. */
function names(name: string, value: unknown): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string' || !SUBDOMAIN.test(item))) {
    throw invalid(name, value, 'Secret names', "@kubernetes({ secrets: ['s3-credentials'] })");
  }
  return items as string[];
}

/** Labels, annotations or a node selector: an object, or (a setting) `key=value,key=value`. */
function map(name: string, value: unknown, checkValue: (value: string) => boolean): Record<string, string> {
  if (value === undefined) return {};
  const entries =
    typeof value === 'string'
      ? value.split(',').filter((pair) => pair.trim()).map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.includes('=') ? pair.slice(pair.indexOf('=') + 1).trim() : undefined])
      : typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.entries(value)
        : undefined;
  if (!entries || entries.some(([key, v]) => typeof key !== 'string' || !isLabelKey(key) || typeof v !== 'string' || !checkValue(v))) {
    throw invalid(name, value, 'keys and values following Kubernetes label rules (63 characters, letters, digits, - _ .)', `@kubernetes({ ${name}: { team: 'ml' } })`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function tolerations(value: unknown): Toleration[] {
  if (value === undefined) return [];
  const valid = (t: unknown) => {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) return false;
    const fields = t as Record<string, unknown>;
    return (
      Object.keys(fields).every((field) => TOLERATION_FIELDS.includes(field)) &&
      ['key', 'value'].every((field) => fields[field] === undefined || typeof fields[field] === 'string') &&
      [undefined, 'Exists', 'Equal'].includes(fields.operator as string) &&
      [undefined, 'NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(fields.effect as string) &&
      (fields.tolerationSeconds === undefined || Number.isInteger(fields.tolerationSeconds))
    );
  };
  if (!Array.isArray(value) || !value.every(valid)) {
    throw invalid('tolerations', value, `a list of tolerations (${TOLERATION_FIELDS.join(', ')})`, "@kubernetes({ tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] })");
  }
  return value as Toleration[];
}

function claims(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.entries(value).every(([claim, path]) => SUBDOMAIN.test(claim) && typeof path === 'string' && /^\/[^\s:]*$/.test(path));
  if (!ok) throw invalid('persistentVolumeClaims', value, 'claim names and the absolute paths they are mounted at', "@kubernetes({ persistentVolumeClaims: { 'shared-data': '/data' } })");
  return value as Record<string, string>;
}

/** What the pod asks for: `@kubernetes`' values or `@resources`', whichever is larger (as in Metaflow). */
export function podResources(attributes: KubernetesAttributes, resources: TaskResources): { cpu: number; memory: number; gpu: number; disk: number } {
  return {
    cpu: Math.max(attributes.cpu, resources.cpu ?? 0),
    memory: Math.max(attributes.memory, resources.memory ?? 0),
    gpu: Math.max(attributes.gpu, resources.gpu ?? 0),
    disk: attributes.disk,
  };
}
