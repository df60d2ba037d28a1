import { ConfigError, requireSecretReferences, type Config } from '@flowkit/core/plugin';

/** AWS Batch settings (FLOWKIT_* names, from the environment or the profile `flowkit configure` writes). */
export const BatchSettings = {
  /** The job queue of `@batch` steps without their own `queue`. */
  jobQueue: 'FLOWKIT_BATCH_JOB_QUEUE',
  /** The container image (default: the stock `node:<major>` image of the Node that runs the scheduler). */
  image: 'FLOWKIT_BATCH_CONTAINER_IMAGE',
  /** The IAM role jobs run with: what lets a task reach the S3 datastore. */
  iamRole: 'FLOWKIT_ECS_S3_ACCESS_IAM_ROLE',
  /** The execution role (Fargate: pulls the image, writes the logs). */
  executionRole: 'FLOWKIT_ECS_FARGATE_EXECUTION_ROLE',
  /** Another Batch or CloudWatch Logs endpoint than AWS's (a VPC endpoint, a test server). */
  endpoint: 'FLOWKIT_BATCH_ENDPOINT_URL',
  logsEndpoint: 'FLOWKIT_CLOUDWATCH_LOGS_ENDPOINT_URL',
  /** The log group Batch writes job output to. */
  logGroup: 'FLOWKIT_BATCH_LOG_GROUP',
  /** Seconds between two looks at the run's jobs and their logs (one DescribeJobs call for up to 100 jobs). */
  pollSeconds: 'FLOWKIT_BATCH_POLL_SECONDS',
  /**
   * Secret settings as jobs get them, by reference: `NAME=arn,...`, each ARN a Secrets Manager secret or an SSM
   * parameter (the job definition's `secrets`; the execution role must be allowed to read them).
   */
  secrets: 'FLOWKIT_BATCH_SECRETS',
} as const;

export interface BatchSecret {
  name: string;
  valueFrom: string;
}

const SECRET_ARN = /^arn:[^:]+:(secretsmanager|ssm):/;

/**
 * The job definition's `secrets` from FLOWKIT_BATCH_SECRETS; refuses a secret setting set here without one
 * (jobs never get a secret's value in their definition or submit request).
 */
export function batchSecrets(config: Config): BatchSecret[] {
  const secrets = (config.get(BatchSettings.secrets) ?? '').split(',').filter((entry) => entry.trim() !== '').map((entry) => {
    const [name = '', valueFrom = ''] = entry.trim().split('=', 2);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !SECRET_ARN.test(valueFrom)) {
      throw new ConfigError(`${BatchSettings.secrets} has a bad entry '${entry.trim()}'.`, { hint: `write NAME=arn, e.g. FLOWKIT_SERVICE_AUTH_KEY=arn:aws:secretsmanager:us-east-1:123456789012:secret:flowkit-key` });
    }
    return { name, valueFrom };
  });
  const names = new Set(secrets.map((secret) => secret.name));
  requireSecretReferences(config, (name) => names.has(name), (name) => `store it in AWS Secrets Manager or SSM Parameter Store and set ${BatchSettings.secrets}=${name}=<its ARN>`);
  return secrets;
}
