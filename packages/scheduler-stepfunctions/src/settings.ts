/** Step Functions settings (FLOWKIT_* names, from the environment or the profile `flowkit configure` writes). */
export const StepFunctionsSettings = {
  /** The role the state machine runs as: it submits Batch jobs and reads split counts from S3. */
  role: 'FLOWKIT_SFN_IAM_ROLE',
  /** Put before the flow's name in the state machine's (a project or branch), so teams don't overwrite each other. */
  prefix: 'FLOWKIT_SFN_STATE_MACHINE_PREFIX',
  /** Another Step Functions endpoint than AWS's (a VPC endpoint, a test server). */
  endpoint: 'FLOWKIT_SFN_ENDPOINT_URL',
} as const;
