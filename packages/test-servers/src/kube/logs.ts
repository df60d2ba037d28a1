import type { ServerResponse } from 'node:http';
import { badRequest } from './status';

interface LogLine {
  at: Date;
  /** The line with its newline (the last line of a stream may lack one). */
  text: string;
}

export interface LogQuery {
  follow: boolean;
  timestamps: boolean;
  sinceTime?: Date;
  sinceSeconds?: number;
  tailLines?: number;
  limitBytes?: number;
}

/**
 * One container's output as the kubelet keeps it: stdout and stderr interleaved in arrival order, one timestamp
 * per line. Followers get each line as it is completed and an end when the container has exited.
 */
export class ContainerLog {
  private readonly lines: LogLine[] = [];
  private readonly partial = { stdout: '', stderr: '' };
  private readonly followers = new Set<(line: LogLine | 'end') => void>();
  private closed = false;

  append(stream: 'stdout' | 'stderr', chunk: string): void {
    const text = this.partial[stream] + chunk;
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const part of parts) this.push(`${part}\n`);
  }

  /** The container exited: flush unterminated lines and end every follower. */
  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.push(this.partial[stream]);
      this.partial[stream] = '';
    }
    this.closed = true;
    for (const follower of [...this.followers]) follower('end');
    this.followers.clear();
  }

  /** Writes the selected lines, then (follow) streams new ones until the container exits or the client leaves. */
  serve(query: LogQuery, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    let budget = query.limitBytes ?? Infinity;
    const write = (line: LogLine): boolean => {
      const text = query.timestamps ? `${rfc3339Nano(line.at)} ${line.text}` : line.text;
      const bytes = Buffer.from(text);
      if (bytes.length >= budget) {
        res.end(bytes.subarray(0, budget));
        return false;
      }
      budget -= bytes.length;
      res.write(bytes);
      return true;
    };
    const since =
      query.sinceTime ??
      (query.sinceSeconds !== undefined ? new Date(Date.now() - query.sinceSeconds * 1000) : undefined);
    let selected = since ? this.lines.filter((l) => l.at >= since) : this.lines;
    if (query.tailLines !== undefined) selected = query.tailLines === 0 ? [] : selected.slice(-query.tailLines);
    for (const line of selected) if (!write(line)) return;
    if (!query.follow || this.closed) {
      res.end();
      return;
    }
    const follower = (line: LogLine | 'end') => {
      if (line === 'end') res.end();
      else if (!write(line)) this.followers.delete(follower);
    };
    this.followers.add(follower);
    res.on('close', () => this.followers.delete(follower));
  }

  private push(text: string): void {
    const line = { at: new Date(), text };
    this.lines.push(line);
    for (const follower of [...this.followers]) follower(line);
  }
}

/** The kubelet's timestamp prefix: RFC 3339 with nanoseconds (this server has milliseconds; the rest is zeros). */
function rfc3339Nano(at: Date): string {
  return at.toISOString().replace(/Z$/, '000000Z');
}

/** The log query parameters, checked as the apiserver checks them. */
export function parseLogQuery(query: URLSearchParams): LogQuery {
  const bool = (name: string) => query.get(name) === 'true' || query.get(name) === '1';
  const int = (name: string, min: number): number | undefined => {
    const raw = query.get(name);
    if (raw === null || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw badRequest(`${name}: Invalid value: ${raw}: must be >= ${min}`);
    return value;
  };
  const result: LogQuery = { follow: bool('follow'), timestamps: bool('timestamps') };
  const sinceTime = query.get('sinceTime');
  if (sinceTime) {
    const parsed = new Date(sinceTime);
    if (Number.isNaN(parsed.getTime())) throw badRequest(`sinceTime: Invalid value: "${sinceTime}": must be RFC 3339`);
    result.sinceTime = parsed;
  }
  const sinceSeconds = int('sinceSeconds', 1);
  if (sinceSeconds !== undefined) result.sinceSeconds = sinceSeconds;
  if (result.sinceTime && sinceSeconds !== undefined) {
    throw badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
  }
  const tailLines = int('tailLines', 0);
  if (tailLines !== undefined) result.tailLines = tailLines;
  const limitBytes = int('limitBytes', 1);
  if (limitBytes !== undefined) result.limitBytes = limitBytes;
  return result;
}
