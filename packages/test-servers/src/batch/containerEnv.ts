import { dirname } from 'node:path';
import type { ContainerSpec } from './batchModel';

/** The PATH of a typical Linux image, after the directory of the running node so `node` resolves. */
const IMAGE_PATH = [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');

/** The variables AWS Batch itself puts into every job container. */
export function batchVariables(jobId: string, attempt: number, queueName: string, computeEnvironmentName: string): Record<string, string> {
  return {
    AWS_BATCH_JOB_ID: jobId,
    AWS_BATCH_JOB_ATTEMPT: String(attempt),
    AWS_BATCH_JQ_NAME: queueName,
    AWS_BATCH_CE_NAME: computeEnvironmentName,
  };
}

/**
 * What the container's process gets, and nothing else: the image's defaults (PATH, HOME, TMPDIR),
 * the job's own environment over them, then its resolved secrets and the variables Batch and ECS set. Nothing from the host
 * leaks in, so a job that only works because the test process happened to export something fails
 * here as it would on AWS.
 */
export function processEnvironment(
  container: ContainerSpec,
  dirs: { home: string; tmp: string },
  ...platform: Record<string, string>[]
): Record<string, string> {
  const own = Object.fromEntries(container.environment.map(({ name, value }) => [name, value]));
  return Object.assign({ PATH: IMAGE_PATH, HOME: dirs.home, TMPDIR: dirs.tmp }, own, ...platform);
}

/**
 * Batch hands the command and environment to ECS as task overrides, which ECS caps at 8192
 * characters of JSON. The exact accounting is AWS's; this counts the same members, so a client that
 * stuffs too much into the environment fails the way it would there (the job FAILS, SubmitJob works).
 */
export function overridesLength(container: ContainerSpec, batchVars: Record<string, string>): number {
  const environment = [...container.environment, ...Object.entries(batchVars).map(([name, value]) => ({ name, value }))];
  return JSON.stringify({
    name: 'default',
    command: container.command,
    environment,
    resourceRequirements: container.resourceRequirements,
  }).length;
}
