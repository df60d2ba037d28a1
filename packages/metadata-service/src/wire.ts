import type { AttemptStatus, TaskRecord } from '@flowkit/core/plugin';

/** What the service and its provider agree on: the API prefix, page sizes and size limits. */

export const API_PREFIX = '/v1';

/** Most items one list request returns; the provider pages through longer lists. */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

/** A failed attempt's error text is cut to this many characters before it is sent. */
export const MAX_ERROR_CHARS = 4096;

/** One page of a list: `next` is the cursor of the following page, null on the last. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** The body of every 4xx/5xx answer. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

/** A task as the service lists it: the record with its attempts, and the state of its latest attempt. */
export interface ServiceTask extends TaskRecord {
  status?: AttemptStatus;
  currentAttempt?: number;
  startedAt?: number;
  finishedAt?: number;
}
