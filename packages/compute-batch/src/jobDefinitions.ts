import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { BatchClient, ContainerProperties, RegisterJobDefinitionCommandInput } from '@aws-sdk/client-batch';
import { TMPFS_PATH, type BatchAttributes } from './attributes';
import { batchSdk } from './sdk';
import type { BatchSecret } from './settings';

/**
 * Where the job definition keeps the bootstrap's source, gzipped and in base64 (a third smaller than the JSON-escaped
 * source, in what ECS may count of a job's 8 KiB of overrides), so the submitted command stays small.
 */
export const BOOTSTRAP_VARIABLE = 'FLOWKIT_BOOTSTRAP';

/** The command that runs the bootstrap the job definition keeps, followed by the bootstrap's arguments. */
export const BOOTSTRAP_COMMAND = ['node', '-e', `eval(require('zlib').gunzipSync(Buffer.from(process.env.${BOOTSTRAP_VARIABLE},'base64'))+'')`];

/**
 * The job definition of a step's jobs: image, roles, resources, volumes and the bootstrap. It is named by the
 * hash of its contents, so every run (and every user) with the same settings shares one registered definition.
 * Secrets are references only (`batchSecrets`): Batch resolves them when the container starts.
 */
export function jobDefinitionFor(
  attributes: BatchAttributes,
  resources: { cpu: number; memory: number; gpu: number },
  bootstrapSource: string,
  secrets: BatchSecret[],
): RegisterJobDefinitionCommandInput {
  const efs = attributes.efsVolumes.map((spec, i) => ({ name: `efs_${i}`, fileSystemId: spec.slice(0, spec.indexOf(':')), path: spec.slice(spec.indexOf(':') + 1) }));
  const host = attributes.hostVolumes.map((path, i) => ({ name: `host_${i}`, path }));
  const containerProperties: ContainerProperties = {
    image: attributes.image,
    // Replaced by every job's own; a definition needs one.
    command: ['node', '--version'],
    jobRoleArn: attributes.iamRole,
    executionRoleArn: attributes.executionRole,
    resourceRequirements: [
      { type: 'VCPU', value: String(resources.cpu) },
      { type: 'MEMORY', value: String(resources.memory) },
      ...(resources.gpu > 0 ? [{ type: 'GPU' as const, value: String(resources.gpu) }] : []),
    ],
    environment: [
      { name: BOOTSTRAP_VARIABLE, value: gzipSync(bootstrapSource, { level: 9 }).toString('base64') },
      ...(attributes.tmpfs ? [{ name: 'TMPDIR', value: TMPFS_PATH }] : []),
    ],
    secrets: secrets.length > 0 ? secrets : undefined,
    linuxParameters: {
      sharedMemorySize: attributes.sharedMemory,
      maxSwap: attributes.maxSwap,
      swappiness: attributes.swappiness,
      tmpfs: attributes.tmpfs ? [{ containerPath: TMPFS_PATH, size: attributes.tmpfs }] : undefined,
    },
    volumes: [
      ...efs.map((v) => ({ name: v.name, efsVolumeConfiguration: { fileSystemId: v.fileSystemId } })),
      ...host.map((v) => ({ name: v.name, host: { sourcePath: v.path } })),
    ],
    mountPoints: [...efs, ...host].map((v) => ({ sourceVolume: v.name, containerPath: v.path, readOnly: false })),
  };
  const contents = JSON.stringify(containerProperties);
  return {
    jobDefinitionName: `flowkit-${createHash('sha256').update(contents).digest('hex').slice(0, 40)}`,
    type: 'container',
    containerProperties,
    // FlowKit owns retries: each attempt is a job of its own.
    retryStrategy: { attempts: 1 },
    propagateTags: true,
  };
}

/** Batch refuses an attempt duration under 60 s. */
const MIN_ATTEMPT_SECONDS = 60;

/**
 * A job's `timeout.attemptDurationSeconds` for a step's @timeout: Batch's own stop, which holds when nothing else
 * stops the job. A shorter @timeout gets Batch's minimum; the scheduler (or a state's TimeoutSeconds) keeps the
 * exact limit.
 */
export function attemptDurationSeconds(timeoutSeconds: number): number {
  return Math.max(MIN_ATTEMPT_SECONDS, timeoutSeconds);
}

/** Registered job definitions by name, looked up (or registered) once per scheduler. */
export class JobDefinitions {
  private readonly arns = new Map<string, Promise<string>>();

  constructor(private readonly client: BatchClient) {}

  arn(definition: RegisterJobDefinitionCommandInput): Promise<string> {
    const name = definition.jobDefinitionName as string;
    let arn = this.arns.get(name);
    if (!arn) {
      arn = this.findOrRegister(definition);
      // A failed lookup is not remembered: the next attempt asks again.
      arn.catch(() => this.arns.delete(name));
      this.arns.set(name, arn);
    }
    return arn;
  }

  private async findOrRegister(definition: RegisterJobDefinitionCommandInput): Promise<string> {
    const found = await this.client.send(new (batchSdk().DescribeJobDefinitionsCommand)({ jobDefinitionName: definition.jobDefinitionName, status: 'ACTIVE' }));
    const existing = found.jobDefinitions?.find((d) => d.jobDefinitionArn)?.jobDefinitionArn;
    if (existing) return existing;
    const registered = await this.client.send(new (batchSdk().RegisterJobDefinitionCommand)(definition));
    return registered.jobDefinitionArn as string;
  }
}
