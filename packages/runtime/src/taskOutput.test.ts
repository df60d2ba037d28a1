import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { RunConsole } from './console';
import { captureStream } from './taskOutput';

/** A terminal that keeps each write apart, to count them. */
function terminal(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString());
      callback();
    },
  });
  return { stream, writes };
}

describe('a task stream copied to its log file and the terminal', () => {
  test('the lines of a chunk reach the terminal in one write; a line split across chunks is shown whole', async () => {
    const out = terminal();
    const console = new RunConsole({ quiet: true, color: false }, out.stream, out.stream);
    const file = join(mkdtempSync(join(tmpdir(), 'flowkit-output-')), 'task.stdout');
    const source = new PassThrough();
    const captured = captureStream(source, file, 'stdout', console, () => '1/body/2');
    source.write('one\r\ntwo\nthr');
    source.write('ee\n');
    source.end('four');
    await captured;
    expect(out.writes.map((write) => write.split('\n').filter(Boolean).map((line) => line.replace(/^\S+ \S+ /, '')))).toEqual([
      ['[1/body/2] one', '[1/body/2] two'],
      ['[1/body/2] three'],
      ['[1/body/2] four'],
    ]);
    expect(readFileSync(file, 'utf8')).toBe('one\r\ntwo\nthree\nfour');
  });

  test('a stream that prints nothing makes no file', async () => {
    const out = terminal();
    const file = join(mkdtempSync(join(tmpdir(), 'flowkit-output-')), 'task.stderr');
    const source = new PassThrough();
    const captured = captureStream(source, file, 'stderr', new RunConsole({ quiet: true, color: false }, out.stream, out.stream), () => '1/body/2');
    source.end();
    await captured;
    expect(existsSync(file)).toBe(false);
    expect(out.writes).toEqual([]);
  });
});
