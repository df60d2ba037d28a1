import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '@flowkit/core/internal';
import { validateId, type TaskRef } from '@flowkit/core/plugin';

/** A record file's name; the scheduler's own task record is never taken from a task. */
const RECORD_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const TASK_RECORD = 'task.json';

/** Where a host-bound provider keeps a task's records under its root (see MetadataProviderFactory.hostBound). */
function recordsDir(root: string, ref: TaskRef): string {
  return join(root, validateId('flow', ref.flowName), validateId('run', ref.runId), validateId('step', ref.stepName), validateId('task', ref.taskId), '_meta');
}

/** The record files a task wrote under its scratch root (name -> content), to save beside its attempt. */
export function readTaskRecords(root: string, ref: TaskRef): Record<string, string> {
  const dir = recordsDir(root, ref);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return {};
  }
  return Object.fromEntries(names.filter((name) => RECORD_NAME.test(name) && name !== TASK_RECORD).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/** Writes a task's saved record files under a root: the local root on the scheduler's side, a retried task's scratch root. */
export function writeTaskRecords(root: string, ref: TaskRef, files: Record<string, string>): void {
  const dir = recordsDir(root, ref);
  for (const [name, content] of Object.entries(files)) {
    if (RECORD_NAME.test(name) && name !== TASK_RECORD) writeFileAtomically(join(dir, name), content);
  }
}
