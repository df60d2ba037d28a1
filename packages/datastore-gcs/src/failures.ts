import { DataStoreError, networkFailure } from '@flowkit/core/plugin';
import { GcsSettings, type GcsOptions } from './settings';

/** Where Application Default Credentials come from, for hints. */
export const ADC_SOURCES = 'GOOGLE_APPLICATION_CREDENTIALS (a service-account key file), `gcloud auth application-default login`, or the service account the VM or GKE pod runs as';

/**
 * The HTTP status of a failed request: the JSON API's errors carry it as `code`, a resumable upload's
 * (gaxios) on the response.
 */
export function statusOf(error: unknown): number | undefined {
  const { code, response, status } = error as { code?: unknown; response?: { status?: unknown }; status?: unknown };
  for (const value of [code, response?.status, status]) if (typeof value === 'number') return value;
  return undefined;
}

/** The service's message: a streamed download's error holds the whole JSON body as its message. */
export function messageOf(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  try {
    const parsed = JSON.parse(message) as { error?: { message?: string } };
    return (parsed.error?.message ?? message).replace(/\s+/g, ' ');
  } catch {
    return message.replace(/\s+/g, ' ');
  }
}

/** GCS answers 404 for a missing object and for a missing bucket; only the message tells them apart. */
function isMissingBucket(error: unknown): boolean {
  return statusOf(error) === 404 && /bucket does not exist/i.test(messageOf(error));
}

export function isMissingObject(error: unknown): boolean {
  return statusOf(error) === 404 && !isMissingBucket(error);
}

/** No credentials anywhere ADC looks (only when talking to Google itself; test endpoints get none). */
function isMissingCredentials(error: unknown): boolean {
  return /Could not load the default credentials|Unable to read the credential file/i.test(messageOf(error));
}

/** A one-line DataStoreError for a failed GCS call: what, where, and the client's cause. */
export function gcsFailure(action: string, url: string, error: unknown, options: GcsOptions): DataStoreError {
  if (error instanceof DataStoreError) return error;
  const network = networkFailure(error);
  if (network) {
    return new DataStoreError(`Cannot ${action} ${url}: the GCS endpoint ${options.endpoint ?? '(Google Cloud)'} did not answer (${network}), ${options.maxRetries + 1} attempts.`, {
      hint: `check that the endpoint is up${options.endpoint ? ` and ${GcsSettings.endpointUrl} is right` : ' and this machine reaches storage.googleapis.com'}, then try again (a failed run resumes)`,
      cause: error,
    });
  }
  if (isMissingCredentials(error)) {
    return new DataStoreError(`Cannot ${action} ${url}: no Application Default Credentials were found.`, { hint: `provide them through ${ADC_SOURCES}`, cause: error });
  }
  const status = statusOf(error);
  if (status === 401 || status === 403) {
    return new DataStoreError(`Cannot ${action} ${url}: access was refused (HTTP ${status}: ${messageOf(error)}).`, {
      hint: `check the identity Application Default Credentials find (${ADC_SOURCES}) and its roles on the bucket (e.g. roles/storage.objectAdmin)`,
      cause: error,
    });
  }
  if (isMissingBucket(error)) return new DataStoreError(`Cannot ${action} ${url}: the bucket does not exist.`, { hint: 'create it, or use another bucket', cause: error });
  return new DataStoreError(`Cannot ${action} ${url}: ${status ? `HTTP ${status}: ` : ''}${messageOf(error)}`, { cause: error });
}
