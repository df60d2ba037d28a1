import { DescribeJobsCommand, SubmitJobCommand, TerminateJobCommand, type BatchClient, type SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** A Task state's failure as Step Functions names it (what Retry and Catch match). */
export class TaskFailed extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

type Value = unknown;

/** The integration's PascalCase members as the SDK's camelCase; maps of names the user chose keep theirs. */
function sdkShape(value: Value, key = ''): Value {
  if (Array.isArray(value)) return value.map((item) => sdkShape(item));
  if (typeof value !== 'object' || value === null || key === 'Parameters' || key === 'Tags') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), sdkShape(v, k)]));
}

/** Why a running Task state was stopped: its execution stopped or timed out, or the state ran past its TimeoutSeconds. */
export type StopCause = 'execution stopped' | 'execution timed out' | 'state timed out';

/**
 * `arn:aws:states:::batch:submitJob.sync`: submits the job and waits until Batch says it SUCCEEDED (the
 * state's output is the job, as on AWS) or FAILED (the state fails with States.TaskFailed and the reason).
 * When the state times out or its execution ends, Step Functions terminates the job (it holds batch:TerminateJob
 * for this), even one whose SubmitJob was still in flight, with a reason naming the execution, and moves on at once.
 */
export async function submitJobSync(batch: BatchClient, parameters: Value, pollMs: number, stopped: AbortSignal, executionArn: string): Promise<Value> {
  const { jobId } = await batch.send(new SubmitJobCommand(sdkShape(parameters) as SubmitJobCommandInput));
  const id = jobId as string;
  const terminate = () => {
    const how = (stopped.reason as StopCause) === 'state timed out' ? 'timed out' : 'was aborted';
    const reason = `The Task state in AWS Step Functions execution [${executionArn}] which was managing this resource ${how}`;
    void batch.send(new TerminateJobCommand({ jobId: id, reason })).catch(() => undefined);
  };
  if (stopped.aborted) terminate();
  else stopped.addEventListener('abort', terminate, { once: true });
  try {
    while (!stopped.aborted) {
      const job = (await batch.send(new DescribeJobsCommand({ jobs: [id] }))).jobs?.[0];
      if (job?.status === 'SUCCEEDED') return { JobId: id, JobName: job.jobName, Status: job.status };
      if (job?.status === 'FAILED' || job === undefined) {
        throw new TaskFailed('States.TaskFailed', JSON.stringify({ JobId: id, Status: job?.status ?? 'UNKNOWN', StatusReason: job?.statusReason }));
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    if ((stopped.reason as StopCause) === 'state timed out') throw new TaskFailed('States.Timeout', 'The state ran past its TimeoutSeconds.');
    throw new TaskFailed('States.Aborted', 'The execution was stopped.');
  } finally {
    stopped.removeEventListener('abort', terminate);
  }
}

/** `arn:aws:states:::aws-sdk:s3:getObject`: the object's body as text, as the SDK integration returns it. */
export async function getObject(s3: S3Client, parameters: Value): Promise<Value> {
  const { Bucket, Key } = parameters as { Bucket: string; Key: string };
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket, Key }));
    return { Body: await object.Body?.transformToString('utf8'), ContentLength: object.ContentLength, ContentType: object.ContentType, ETag: object.ETag };
  } catch (error) {
    throw new TaskFailed(`S3.${(error as Error).name}Exception`, (error as Error).message);
  }
}
