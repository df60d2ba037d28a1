import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import type { LogStream } from '@flowkit/core/plugin';
import type { RunConsole } from './console';

/** A line longer than this is shown in pieces, so one endless line cannot grow memory. */
const MAX_LINE = 64 * 1024;

/**
 * Copies one task stream to a log file (with backpressure, so memory stays bounded however much the
 * task prints) and, line by line, to the console with the task's prefix. The file is made with the first byte: a
 * stream that prints nothing (most tasks' stderr) costs no file opened and closed.
 */
export async function captureStream(
  source: NodeJS.ReadableStream,
  file: string,
  stream: LogStream,
  console: RunConsole,
  label: () => string,
): Promise<void> {
  let sink: WriteStream | undefined;
  const decoder = new StringDecoder('utf8');
  let pending = '';
  // The lines of a chunk reach the console in one write.
  const show = (lines: string[]) => lines.length > 0 && console.taskLines(label(), stream, lines.map((text) => (text.endsWith('\r') ? text.slice(0, -1) : text)));
  source.on('data', (chunk: Buffer) => {
    sink ??= createWriteStream(file);
    if (!sink.write(chunk)) {
      source.pause();
      sink.once('drain', () => source.resume());
    }
    pending += decoder.write(chunk);
    const lines: string[] = [];
    let start = 0;
    let newline: number;
    while ((newline = pending.indexOf('\n', start)) >= 0) {
      lines.push(pending.slice(start, newline));
      start = newline + 1;
    }
    pending = pending.slice(start);
    while (pending.length > MAX_LINE) {
      lines.push(pending.slice(0, MAX_LINE));
      pending = pending.slice(MAX_LINE);
    }
    show(lines);
  });
  await once(source, 'end');
  pending += decoder.end();
  if (pending) show([pending]);
  if (!sink) return;
  sink.end();
  await once(sink, 'finish');
}
