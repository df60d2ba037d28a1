import { PluginError, integer, nodeImage, numberAttribute, positive, refuseUnknown, stringAttribute, type Config, type TaskResources } from '@flowkit/core/plugin';
import { BatchSettings } from './settings';

/** `@batch(...)` checked, with the settings' defaults filled in. */
export interface BatchAttributes {
  cpu: number;
  /** MiB. */
  memory: number;
  gpu: number;
  image: string;
  queue: string;
  iamRole?: string;
  executionRole?: string;
  /** MiB of /dev/shm. */
  sharedMemory?: number;
  /** MiB of swap; with `swappiness`, how eagerly it is used (0-100). */
  maxSwap?: number;
  swappiness?: number;
  /** MiB of a tmpfs mounted at TMPFS_PATH, which becomes the task's TMPDIR. */
  tmpfs?: number;
  /** EFS file systems as `fs-id:/container/path`. */
  efsVolumes: string[];
  /** Host directories mounted at the same path. */
  hostVolumes: string[];
}

export const TMPFS_PATH = '/flowkit_tmpfs';

const KNOWN = ['cpu', 'memory', 'gpu', 'image', 'queue', 'iamRole', 'executionRole', 'sharedMemory', 'maxSwap', 'swappiness', 'tmpfs', 'efsVolumes', 'hostVolumes'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_:/.-]{0,1599}$/;

export function validateBatchAttributes(attributes: Record<string, unknown>, config: Config): BatchAttributes {
  refuseUnknown('batch', attributes, KNOWN);
  const queue = stringAttribute('batch', attributes, 'queue', config.get(BatchSettings.jobQueue), NAME);
  if (queue === undefined) {
    throw new PluginError('@batch needs a job queue.', { hint: `set ${BatchSettings.jobQueue}, or give one: @batch({ queue: 'my-queue' }) or --with batch:queue=my-queue` });
  }
  const mib = (name: string, fallback?: number) => numberAttribute('batch', attributes, name, integer(1, 10_000_000), 'a whole number of MiB', fallback);
  return {
    cpu: numberAttribute('batch', attributes, 'cpu', positive, 'a number of vCPUs above 0', 1) as number,
    memory: numberAttribute('batch', attributes, 'memory', integer(4, 10_000_000), 'a whole number of MiB, at least 4', 4096) as number,
    gpu: numberAttribute('batch', attributes, 'gpu', integer(0, 64), 'a whole number of GPUs', 0) as number,
    image: stringAttribute('batch', attributes, 'image', config.get(BatchSettings.image) ?? nodeImage(), /^\S{1,1024}$/) as string,
    queue,
    iamRole: stringAttribute('batch', attributes, 'iamRole', config.get(BatchSettings.iamRole), NAME),
    executionRole: stringAttribute('batch', attributes, 'executionRole', config.get(BatchSettings.executionRole), NAME),
    sharedMemory: mib('sharedMemory'),
    maxSwap: numberAttribute('batch', attributes, 'maxSwap', integer(0, 10_000_000), 'a whole number of MiB', undefined),
    swappiness: numberAttribute('batch', attributes, 'swappiness', integer(0, 100), 'a whole number from 0 to 100', undefined),
    tmpfs: mib('tmpfs'),
    efsVolumes: list(attributes, 'efsVolumes', /^fs-[0-9a-f]{1,64}:\/[^\s:]*$/, "'fs-12345678:/mnt/data'"),
    hostVolumes: list(attributes, 'hostVolumes', /^\/[^\s:]*$/, "'/var/data'"),
  };
}

function list(attributes: Record<string, unknown>, name: string, pattern: RegExp, example: string): string[] {
  const value = attributes[name] ?? [];
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string' || !pattern.test(item))) {
    throw new PluginError(`@batch: ${name}=${JSON.stringify(value)} is not valid.`, { hint: `give a list like [${example}]` });
  }
  return items as string[];
}

/** What the job asks for: `@batch`'s values or `@resources`', whichever is larger (as in Metaflow). */
export function jobResources(attributes: BatchAttributes, resources: TaskResources): { cpu: number; memory: number; gpu: number } {
  return {
    cpu: Math.max(attributes.cpu, resources.cpu ?? 0),
    memory: Math.max(attributes.memory, resources.memory ?? 0),
    gpu: Math.max(attributes.gpu, resources.gpu ?? 0),
  };
}
