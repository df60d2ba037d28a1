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
} as const;
