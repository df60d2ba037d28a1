import { request } from 'node:http';
import { startUntil } from './flowkit';

/** A flow whose `wait` step runs until the file UI_GATE exists: a run a test sees running, then lets finish. */
export const GATE_FLOW = `
import { existsSync } from 'node:fs';
import { FlowSpec, step } from '@flowkit/core';
export default class GateFlow extends FlowSpec {
  @step start() { this.next(this.wait); }
  @step async wait() {
    while (!existsSync(process.env.UI_GATE as string)) await new Promise((resolve) => setTimeout(resolve, 50));
    this.next(this.end);
  }
  @step end() {}
}`;

export interface TestUi {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  stop(): Promise<void>;
}

/** Starts the real `flowkit ui` on a free port in `cwd`, and resolves once it listens. */
export async function startUi(options: { cwd: string; env: Record<string, string> }, args: string[] = []): Promise<TestUi> {
  const started = startUntil(['ui', '--port', '0', ...args], options, /listening on (http:\/\/\S+?\/)[ ;]/);
  await started.reached;
  const listening = /listening on http:\/\/[^:]+:(\d+)\//.exec(started.output()) as RegExpExecArray;
  return {
    url: `http://127.0.0.1:${listening[1]}/`,
    async stop() {
      started.child.kill('SIGTERM');
      await started.exited;
    },
  };
}

export interface Answer<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** GET a path exactly as written (no `..` resolved, unlike fetch), with optional headers; JSON bodies parsed. */
export function get<T = any>(url: string, path: string, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        const json = String(response.headers['content-type']).startsWith('application/json');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: json ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Asks again until `check` gives a value (the test's own timeout bounds the wait). */
export async function until<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
