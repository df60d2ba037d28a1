/** The parts of the Amazon States Language the compiler writes. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
}

export interface Catcher {
  ErrorEquals: string[];
  ResultPath: string | null;
  Next: string;
}

interface Transition {
  Next?: string;
  End?: true;
}

export type TaskState = Transition & {
  Type: 'Task';
  Resource: string;
  Parameters: Json;
  ResultSelector?: Json;
  ResultPath: string | null;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
};

export type State =
  | TaskState
  | (Transition & { Type: 'Pass'; Parameters?: Json; Result?: Json; ResultPath?: string | null })
  | (Transition & { Type: 'Parallel'; Branches: Branch[]; ResultPath: null; Catch?: Catcher[] })
  | (Transition & { Type: 'Map'; ItemsPath: string; ItemSelector: Json; ItemProcessor: Branch; ResultPath: null; MaxConcurrency?: number })
  | (Transition & { Type: 'Fail'; Error: string; Cause: string });

export interface Branch {
  StartAt: string;
  States: Record<string, State>;
}

export interface StateMachineDefinition extends Branch {
  Comment: string;
  TimeoutSeconds?: number;
}

export const BATCH_SUBMIT_JOB_SYNC = 'arn:aws:states:::batch:submitJob.sync';
export const S3_GET_OBJECT = 'arn:aws:states:::aws-sdk:s3:getObject';

/** Text inside a States.Format template: its special characters escaped. */
export function formatLiteral(text: string): string {
  return text.replace(/[\\'{}]/g, (c) => `\\${c}`);
}
