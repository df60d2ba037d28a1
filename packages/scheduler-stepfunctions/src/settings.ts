/** Step Functions settings (FLOWKIT_* names, from the environment or the profile `flowkit configure` writes). */
export const StepFunctionsSettings = {
  /** The role the state machine runs as: it submits Batch jobs and reads split counts from S3. */
  role: 'FLOWKIT_SFN_IAM_ROLE',
  /** Put before the flow's name in the state machine's (a project or branch), so teams don't overwrite each other. */
  prefix: 'FLOWKIT_SFN_STATE_MACHINE_PREFIX',
  /** Another Step Functions endpoint than AWS's (a VPC endpoint, a test server). */
  endpoint: 'FLOWKIT_SFN_ENDPOINT_URL',
  /** The role EventBridge Scheduler starts a `@schedule` flow's state machine as (states:StartExecution on it). */
  eventsRole: 'FLOWKIT_EVENTS_SFN_ACCESS_IAM_ROLE',
  /** Another EventBridge Scheduler endpoint than AWS's (a VPC endpoint, a test server). */
  schedulerEndpoint: 'FLOWKIT_EVENTBRIDGE_SCHEDULER_ENDPOINT_URL',
} as const;
