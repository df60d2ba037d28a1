import { Fields } from './fields';
import type { JobDefinition } from './jobDefinitions';
import type { LogStore } from './logStore';
import { clientException, type AwsError, type Json } from './wire';

/** Wire shapes shared by job definitions and jobs, named as in the Batch API. */
export interface KeyValuePair {
  name: string;
  value: string;
}

/** A variable whose value Batch fetches from Secrets Manager or SSM Parameter Store when the container starts. */
export interface SecretRef {
  name: string;
  valueFrom: string;
}

export type ResourceType = 'VCPU' | 'MEMORY' | 'GPU';

export interface ResourceRequirement {
  type: ResourceType;
  value: string;
}

export type JobStatus = 'SUBMITTED' | 'PENDING' | 'RUNNABLE' | 'STARTING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export const JOB_STATUSES: readonly JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'];

/** A job queue the server was started with, and the one compute environment behind it. */
export interface JobQueue {
  name: string;
  arn: string;
  computeEnvironmentName: string;
  computeEnvironmentArn: string;
}

/** The container a job runs: the job definition's containerProperties with the submit's overrides applied. */
export interface ContainerSpec {
  /** The job definition's containerProperties, echoed in DescribeJobs under the effective values. */
  properties: Json;
  image: string;
  command: string[];
  environment: KeyValuePair[];
  /** The job definition's `secrets` (overrides cannot name any). */
  secrets: SecretRef[];
  resourceRequirements: ResourceRequirement[];
  vcpus?: number;
  memory?: number;
  /** Only a job definition can name a role; without one the container gets no AWS credentials. */
  jobRoleArn?: string;
}

/** Everything SubmitJob resolved and validated. */
export interface JobSpec {
  jobName: string;
  queue: JobQueue;
  definition: JobDefinition;
  container: ContainerSpec;
  parameters: Record<string, string>;
  attempts: number;
  timeoutSeconds?: number;
  tags: Record<string, string>;
  propagateTags: boolean;
}

/** What a job needs from the server it runs in. */
export interface JobHost {
  readonly region: string;
  readonly stateDelayMs: number;
  readonly stopTimeoutMs: number;
  readonly logs: LogStore;
  /** Parent of every attempt's temp directory; removed when the server stops. */
  readonly workRoot: string;
  /** Variables that let the job's AWS SDK fetch its job role's credentials, when the server serves them. */
  roleCredentialsEnv(taskId: string, jobRoleArn: string | undefined): Record<string, string>;
  /** Images whose pull fails (CannotPullContainerError). */
  readonly refusedImages: Set<string>;
  /** Secret values by the ARN a job definition's `secrets` name them with. */
  readonly secretValues: ReadonlyMap<string, string>;
}

/** Every Batch error is a ClientException, with the member path in the message. */
export function batchFields(input: Json): Fields {
  return new Fields(input, (message: string): AwsError => clientException(message));
}

/** AWS sets these itself; a job that tries to set one is rejected before it runs. */
const RESERVED_PREFIX = 'AWS_BATCH';

export function readEnvironment(fields: Fields, member: string): KeyValuePair[] | undefined {
  const items = fields.objects(member);
  if (items === undefined) return undefined;
  return items.map((item) => {
    const name = item.requiredString('name');
    if (name.startsWith(RESERVED_PREFIX)) {
      throw clientException(`Environment variable ${name}: the ${RESERVED_PREFIX} prefix is reserved for variables AWS Batch sets.`);
    }
    return { name, value: item.string('value') ?? '' };
  });
}

export function readSecrets(fields: Fields, member: string): SecretRef[] | undefined {
  return fields.objects(member)?.map((item) => ({ name: item.requiredString('name'), valueFrom: item.requiredString('valueFrom') }));
}

/**
 * Validated like AWS (VCPU a positive number, MEMORY an integer of at least 4 MiB, GPU a positive
 * integer, each type once) but never enforced: the job runs as an ordinary local process.
 */
export function readResources(fields: Fields, member: string): ResourceRequirement[] | undefined {
  const items = fields.objects(member);
  if (items === undefined) return undefined;
  const seen = new Set<string>();
  return items.map((item) => {
    const type = item.requiredString('type');
    const value = item.requiredString('value');
    const amount = Number(value);
    if (type !== 'VCPU' && type !== 'MEMORY' && type !== 'GPU') {
      throw clientException(`Resource requirement type ${type} is not one of VCPU, MEMORY, GPU.`);
    }
    if (seen.has(type)) throw clientException(`Resource requirement ${type} is specified more than once.`);
    seen.add(type);
    const valid =
      type === 'VCPU' ? amount > 0 : type === 'MEMORY' ? Number.isInteger(amount) && amount >= 4 : Number.isInteger(amount) && amount > 0;
    if (!valid) {
      const rule = type === 'VCPU' ? 'a positive number' : type === 'MEMORY' ? 'an integer of at least 4 (MiB)' : 'a positive integer';
      throw clientException(`Resource requirement ${type} value ${JSON.stringify(value)} is invalid: it must be ${rule}.`);
    }
    return { type, value };
  });
}

/** The deprecated top-level vcpus/memory members, still accepted by AWS and by older clients. */
export function readLegacyResources(fields: Fields): { vcpus?: number; memory?: number } {
  const vcpus = fields.integer('vcpus', 1);
  const memory = fields.integer('memory', 4);
  return { ...(vcpus !== undefined && { vcpus }), ...(memory !== undefined && { memory }) };
}

export function readRetryAttempts(fields: Fields): number | undefined {
  return fields.object('retryStrategy')?.integer('attempts', 1, 10);
}

/** AWS's floor is 60 s; the server lowers it on request so a test can watch a timeout happen. */
export function readTimeoutSeconds(fields: Fields, minimumSeconds: number): number | undefined {
  const seconds = fields.object('timeout')?.integer('attemptDurationSeconds');
  if (seconds !== undefined && seconds < minimumSeconds) {
    throw clientException(`timeout.attemptDurationSeconds must be at least ${minimumSeconds} seconds, got ${seconds}.`);
  }
  return seconds;
}

/** Later entries win by name (environment) or by type (resources), as overrides do in AWS. */
export function mergeByKey<T>(base: T[] | undefined, overrides: T[] | undefined, key: (item: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const item of [...(base ?? []), ...(overrides ?? [])]) merged.set(key(item), item);
  return [...merged.values()];
}
