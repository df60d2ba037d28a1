import type { Readable } from 'node:stream';
import { mapLimit } from '@flowkit/core/internal';

/** Objects at least this large go up in parts (or chunks) and come down in parallel ranges. */
export const LARGE_OBJECT_BYTES = 64 * 1024 * 1024;
/** The size of one part, chunk or range of a large object. */
export const PART_BYTES = 16 * 1024 * 1024;
/** Parts in flight per large object: with 16 MB parts, 64 MB of buffers at most. */
export const PARTS_IN_FLIGHT = 4;

/**
 * Fills `target` from `from` to its end with parallel ranged reads of PART_BYTES, PARTS_IN_FLIGHT at a
 * time; `read(start, end)` (inclusive) streams one range, read to its end (a client may treat a body
 * left early as a failed request). The caller allocated `target` at the object's full size, so a large
 * object never needs twice its size in memory.
 */
export async function readRanges(target: Buffer, from: number, read: (start: number, end: number) => Promise<Readable>): Promise<void> {
  const ranges: Array<[number, number]> = [];
  for (let start = from; start < target.length; start += PART_BYTES) ranges.push([start, Math.min(start + PART_BYTES, target.length) - 1]);
  await mapLimit(ranges, PARTS_IN_FLIGHT, async ([start, end]) => {
    const length = await readInto(await read(start, end), target, start);
    if (length !== end - start + 1) throw new Error(`range ${start}-${end} returned ${length} bytes`);
  });
}

/** Reads a stream into `target` from `offset`, to its end or until `wanted` bytes arrived (then drops the rest); returns the bytes read. */
export async function readInto(body: Readable, target: Buffer, offset: number, wanted = Infinity): Promise<number> {
  let position = offset;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    if (position + bytes.length > target.length) throw new Error('the object changed while it was read');
    bytes.copy(target, position);
    position += bytes.length;
    if (position - offset >= wanted) break;
  }
  return position - offset;
}

/** A connection cut while a body streamed: worth reading again. */
export function isStreamFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error).message === 'aborted';
}
