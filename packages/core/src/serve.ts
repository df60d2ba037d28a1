import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * What FlowKit's own servers share (the metadata service, `flowkit ui`): the loopback rule, the token check and
 * serving until Ctrl-C or SIGTERM.
 */

/** Whether a host name or address is this machine only: beyond it, a server requires a token. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/.exec(header ?? '')?.[1];
}

/** Compares digests, so neither the token's length nor its content leaks through timing. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * Starts a server and keeps it until SIGINT or SIGTERM, then closes it. Signals are heard before it starts, so a
 * stop that comes while it starts is not lost; `onStop` hears the first one.
 */
export async function serveUntilStopped(start: () => Promise<{ close(): Promise<void> }>, onStop?: () => void): Promise<void> {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    onStop?.();
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const server = await start();
    await stopped;
    await server.close();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
