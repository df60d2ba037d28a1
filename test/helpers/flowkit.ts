import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const FLOWKIT_BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'flowkit.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `flowkit` binary as a separate process. */
export function flowkit(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return runNode([FLOWKIT_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env: options.env });
}

/** Runs `node <args>` as the test user to its end, collecting its output. */
export function runNode(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { ...process.env, FLOWKIT_USER: 'tester', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Runs `flowkit` with its stdout (and, with `stderrToo`, its stderr) going through a real pipe into `reader` (e.g.
 * `head -2`), which may exit before flowkit is done writing: flowkit's result, and what the reader printed.
 */
export function flowkitPiped(args: string[], reader: string[], options: { cwd: string; env: Record<string, string>; stderrToo?: boolean }): Promise<CliResult & { read: string }> {
  return new Promise((resolve, reject) => {
    const consumer = spawn(reader[0] as string, reader.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    const child = spawn(process.execPath, [FLOWKIT_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, FLOWKIT_USER: 'tester', ...options.env },
      stdio: ['ignore', consumer.stdin, options.stderrToo ? consumer.stdin : 'pipe'],
    });
    // Only flowkit holds the pipe's write end now: once the reader exits, flowkit's writes fail with EPIPE.
    consumer.stdin.destroy();
    let read = '';
    let stderr = '';
    consumer.stdout.on('data', (chunk: Buffer) => (read += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const consumed = new Promise<void>((done) => consumer.on('close', () => done()));
    child.on('error', reject);
    child.on('close', (code, signal) => void consumed.then(() => resolve({ code, signal, stdout: '', stderr, read })));
  });
}

/** Starts `flowkit` and resolves once its output contains `marker` (with the child, still running). */
export function startUntil(args: string[], options: { cwd: string; env: Record<string, string> }, marker: RegExp) {
  const child = spawn(process.execPath, [FLOWKIT_BIN, ...args], { cwd: options.cwd, env: { ...process.env, FLOWKIT_USER: 'tester', ...options.env } });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const reached = new Promise<void>((resolve, reject) => {
    const check = (chunk: Buffer) => {
      output += chunk.toString();
      if (marker.test(output)) resolve();
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    void exited.then(() => reject(new Error(`flowkit exited before ${marker}: ${output}`)));
  });
  return { child, reached, exited, output: () => output };
}

/** A fresh directory holding the given files (flow sources, tsconfig), with its own datastore root. */
export function project(files: Record<string, string>): { dir: string; root: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'flowkit-test-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const root = join(dir, '.flowkit');
  return { dir, root, env: { FLOWKIT_DATASTORE_SYSROOT_LOCAL: root } };
}

/** Every file below a directory, as paths relative to it. */
export function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}
