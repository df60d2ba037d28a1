/** Errors as the apiserver sends them: a `Status` object with the HTTP code, a machine reason and, for 422, causes. */

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Status {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): Status {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return status;
}

export function successStatus(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

/** `jobs.batch "x" not found`: the resource is named by its plural and group, as the apiserver does. */
export function notFound(resource: string, group: string, name: string): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError(404, 'NotFound', `${qualified} "${name}" not found`, { name, group, kind: resource });
}

export function alreadyExists(resource: string, group: string, name: string): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError(409, 'AlreadyExists', `${qualified} "${name}" already exists`, { name, group, kind: resource });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** A 422 whose message lists every cause, as `Job.batch "x" is invalid: [a, b]` or with one cause inline. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const qualified = group ? `${kind}.${group}` : kind;
  const rendered = causes.map((c) => `${c.field}: ${c.message}`);
  const list = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualified} "${name}" is invalid: ${list}`, { name, group, kind, causes });
}

/** The Status a failed request answers with when a test asked for it via `failNext`. */
export function injectedFailure(code: number): ApiError {
  switch (code) {
    case 429:
      return new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', {
        retryAfterSeconds: 1,
      });
    case 500:
      return new ApiError(500, 'InternalError', 'Internal error occurred: injected by the test server');
    case 503:
      return new ApiError(503, 'ServiceUnavailable', 'The server is currently unable to handle the request');
    case 504:
      return new ApiError(504, 'Timeout', 'The server was unable to return a response in the time allotted');
    case 409:
      return new ApiError(409, 'Conflict', 'Operation cannot be fulfilled: injected conflict');
    default:
      return new ApiError(code, 'Unknown', `injected failure with HTTP ${code}`);
  }
}
