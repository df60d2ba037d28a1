/**
 * A closed stdout or stderr (`flowkit run flow.ts | head -2`) drops what is written to it from then on, instead of an
 * unhandled EPIPE ending the process: a run goes on and is recorded as usual, and a read command, which stops once
 * `process.stdout.destroyed`, ends quietly with exit 0, as `git log | head` does.
 */
export function dropOutputOnceClosed(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}
