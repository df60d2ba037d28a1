import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, flowkit, runNode, type CliResult } from './flowkit';

const TSX_CLI = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** A fresh directory outside the repository with the tutorials pulled into `flowkit-tutorials/` by the real CLI. */
export async function pulledTutorials(args: string[] = []): Promise<{ cwd: string; dir: string; pull: CliResult }> {
  const cwd = mkdtempSync(join(tmpdir(), 'flowkit-tutorials-test-'));
  const pull = await flowkit(['tutorials', 'pull', ...args], { cwd });
  return { cwd, dir: join(cwd, 'flowkit-tutorials'), pull };
}

/**
 * Runs an episode's script as its README says (`npx tsx script.ts`). The pulled directory has no
 * node_modules of its own here, so NODE_PATH stands in for the `npm install` the README asks for.
 */
export function tsxScript(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return runNode([TSX_CLI, ...args], { cwd: options.cwd, env: { NODE_PATH: join(REPO_ROOT, 'node_modules'), ...options.env } });
}

export interface Movie {
  title: string;
  year: number;
  genre: string;
  gross: number;
}

/**
 * The movies straight from vega-datasets' movies.json, with the rule the tutorials document (a title, a
 * major genre, a release year and a worldwide gross), computed here without any tutorials code.
 */
export function datasetMovies(): Movie[] {
  const path = join(REPO_ROOT, 'node_modules', 'vega-datasets', 'data', 'movies.json');
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Array<Record<string, string | number | null>>;
  return raw
    .filter((m) => m.Title !== null && m['Major Genre'] !== null && m['Worldwide Gross'] !== null && m['Release Date'] !== null)
    .map((m) => ({ title: String(m.Title), year: Number(String(m['Release Date']).slice(-4)), genre: String(m['Major Genre']), gross: Number(m['Worldwide Gross']) }));
}

/** The flow's printed lines without the `timestamp [run/step/task (pid N)]` prefix. */
export function printed(stdout: string): string[] {
  return stdout.split('\n').map((line) => line.replace(/^\S+ \S+ \[[^\]]+\] /, ''));
}
