import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles } from './flowkit';

/** Reads what a run left in a local datastore, straight from the files (no FlowKit code involved). */
export class StoredRun {
  constructor(
    readonly root: string,
    readonly flow: string,
    readonly run: string,
  ) {}

  tasks(step: string): string[] {
    const dir = join(this.root, this.flow, this.run, step);
    return existsSync(dir) ? readdirSync(dir).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b)) : [];
  }

  doneAttempts(step: string, task: string): number[] {
    return readdirSync(join(this.root, this.flow, this.run, step, task))
      .map((n) => /^(\d+)\.DONE$/.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort();
  }

  attempts(step: string, task: string): Array<{ attempt: number; status: string; error?: string }> {
    const dir = join(this.root, this.flow, this.run, step, task, '_meta');
    return readdirSync(dir)
      .filter((n) => n.startsWith('attempt_'))
      .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')))
      .sort((a, b) => a.attempt - b.attempt);
  }

  data(step: string, task: string, attempt?: number): { artifacts: Record<string, { sha: string }>; foreachStack: Array<{ index: number }> } {
    const chosen = attempt ?? Math.max(...this.doneAttempts(step, task));
    return JSON.parse(readFileSync(join(this.root, this.flow, this.run, step, task, `${chosen}.data.json`), 'utf8'));
  }

  /** Artifact name -> sha of every finished task, keyed `step[foreach indices]`, for comparing runs. */
  fingerprint(steps: string[]): Record<string, Record<string, string>> {
    const result: Record<string, Record<string, string>> = {};
    for (const step of steps) {
      for (const task of this.tasks(step)) {
        if (this.doneAttempts(step, task).length === 0) continue;
        const data = this.data(step, task);
        result[`${step}[${data.foreachStack.map((f) => f.index).join('.')}]`] = Object.fromEntries(Object.entries(data.artifacts).map(([k, v]) => [k, v.sha]));
      }
    }
    return result;
  }
}

/** Every blob file of a flow; content-addressed, so a duplicate would show as a repeated name. */
export function blobs(root: string, flow: string): string[] {
  const dir = join(root, flow, 'data');
  return existsSync(dir) ? listFiles(dir) : [];
}
