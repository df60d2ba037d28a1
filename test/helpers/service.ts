import { spawn, type ChildProcess } from 'node:child_process';
import { FLOWKIT_BIN, REPO_ROOT } from './flowkit';

/** A `flowkit metadata-service start` process started by a test. */
export interface TestService {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM (graceful shutdown); resolves with its exit code. */
  stop(): Promise<number | null>;
}

export function startService(options: { databaseUrl: string; port?: number; authToken?: string; heartbeatTimeout?: number; host?: string; env?: Record<string, string> }): Promise<TestService> {
  const args = [FLOWKIT_BIN, 'metadata-service', 'start', '--database-url', options.databaseUrl, '--port', String(options.port ?? 0)];
  if (options.host) args.push('--host', options.host);
  if (options.heartbeatTimeout !== undefined) args.push('--heartbeat-timeout', String(options.heartbeatTimeout));
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  // The token goes through the environment, as it should in production (argv is visible to every user).
  if (options.authToken) env.FLOWKIT_SERVICE_AUTH_KEY = options.authToken;
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s,]+)/.exec(output);
      if (match) {
        const url = match[1] as string;
        resolve({
          url,
          port: Number(new URL(url).port),
          process: child,
          output: () => output,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited.then((code) => reject(new Error(`metadata service exited ${code} before listening:\n${output}`)));
  });
}
