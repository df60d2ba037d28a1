import { PathspecError, integer, validateId, type PathspecKind } from '@flowkit/core/plugin';
import { LOG_PAGE_BYTES, LOG_PAGE_MAX_BYTES, downloadArtifact, getArtifact, getLog, getRun, getTask, listFlows, listRuns } from './api';

/** A request the UI refuses or cannot answer: its status, and a message and hint the page shows. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const RUN_STATES = ['running', 'succeeded', 'failed'];

/** Each path segment decoded, so `%2F` or `..` inside an id is seen (and refused) as what it is. */
export function pathSegments(rawPath: string): string[] {
  return rawPath
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new HttpError(400, 'The address is not valid percent-encoding.');
      }
    });
}

/** Ids from the address are checked as what they name before the client sees them: no `..`, `/` or NUL. */
function id(kind: PathspecKind, value: string): string {
  try {
    return validateId(kind, value);
  } catch (error) {
    if (error instanceof PathspecError) throw new HttpError(400, error.message, error.hint);
    throw error;
  }
}

function wholeNumber(query: URLSearchParams, name: string, max: number): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!integer(0, max)(value)) throw new HttpError(400, `'${name}' must be a whole number from 0 to ${max}.`);
  return value;
}

/**
 * The JSON API, all reads:
 * `/api/flows`, `/api/flows/F/runs?status=&tag=&user=&q=&limit=`, `/api/flows/F/runs/R`, `/api/flows/F/runs/R/steps/S/tasks/T`,
 * `.../tasks/T/artifacts/NAME`, `.../tasks/T/artifacts/NAME/download` (a Download), `.../tasks/T/logs/stdout|stderr`.
 */
export async function routeApi(segments: string[], query: URLSearchParams): Promise<unknown> {
  const [api, flows, flow, runs, run, steps, step, tasks, task, what, name, download, extra] = segments;
  if (api !== 'api' || flows !== 'flows' || extra !== undefined) throw notFound(segments);
  if (flow === undefined) return listFlows();
  const flowName = id('flow', flow);
  if (runs !== 'runs') throw notFound(segments);
  if (run === undefined) {
    const status = query.get('status') || undefined;
    if (status !== undefined && !RUN_STATES.includes(status)) throw new HttpError(400, `'status' must be one of ${RUN_STATES.join(', ')}.`);
    const text = (name: string) => query.get(name) || undefined;
    return listRuns(flowName, { tags: query.getAll('tag').filter(Boolean), user: text('user'), status, search: text('q'), limit: wholeNumber(query, 'limit', 10_000) });
  }
  const runId = id('run', run);
  if (steps === undefined) return getRun(flowName, runId);
  if (steps !== 'steps' || step === undefined || tasks !== 'tasks' || task === undefined) throw notFound(segments);
  const pathspec = `${flowName}/${runId}/${id('step', step)}/${id('task', task)}`;
  if (what === undefined) return getTask(pathspec);
  if (what === 'artifacts' && name !== undefined && (download === undefined || download === 'download')) {
    const artifact = await (download ? downloadArtifact(pathspec, name) : getArtifact(pathspec, name));
    if (!artifact) throw new HttpError(404, `Task ${pathspec} has no artifact ${JSON.stringify(name)}.`);
    return artifact;
  }
  if (what === 'logs' && (name === 'stdout' || name === 'stderr') && download === undefined) {
    const limit = wholeNumber(query, 'limit', LOG_PAGE_MAX_BYTES) || LOG_PAGE_BYTES;
    return getLog(pathspec, name, { attempt: wholeNumber(query, 'attempt', 1000), offset: wholeNumber(query, 'offset', Number.MAX_SAFE_INTEGER), limit });
  }
  throw notFound(segments);
}

function notFound(segments: string[]): HttpError {
  return new HttpError(404, `No API route /${segments.map(encodeURIComponent).join('/')}.`, 'see /api/flows');
}
