/**
 * CRC-32C (Castagnoli), as GCS reports it: the 32-bit value big-endian, base64-encoded. Written here
 * rather than borrowed from the client so the server checks the client instead of agreeing with it by
 * construction. Slicing by 8 keeps hashing a large object well under the time it takes to upload it.
 */
const TABLES = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    first[n] = crc >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) {
      const previous = (tables[t - 1] as Uint32Array)[n] as number;
      (tables[t] as Uint32Array)[n] = ((previous >>> 8) ^ (first[previous & 0xff] as number)) >>> 0;
    }
  }
  return tables;
}

/** A running CRC-32C: feed it chunks in order. */
export class Crc32c {
  private crc = 0xffffffff;

  update(data: Uint8Array): this {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    let crc = this.crc;
    let i = 0;
    const whole = data.length - (data.length % 8);
    for (; i < whole; i += 8) {
      const low = (crc ^ (data[i] as number) ^ ((data[i + 1] as number) << 8) ^ ((data[i + 2] as number) << 16) ^ ((data[i + 3] as number) << 24)) >>> 0;
      crc =
        (t7[low & 0xff] as number) ^
        (t6[(low >>> 8) & 0xff] as number) ^
        (t5[(low >>> 16) & 0xff] as number) ^
        (t4[low >>> 24] as number) ^
        (t3[data[i + 4] as number] as number) ^
        (t2[data[i + 5] as number] as number) ^
        (t1[data[i + 6] as number] as number) ^
        (t0[data[i + 7] as number] as number);
    }
    for (; i < data.length; i++) crc = (crc >>> 8) ^ (t0[(crc ^ (data[i] as number)) & 0xff] as number);
    this.crc = crc >>> 0;
    return this;
  }

  /** The value as GCS writes it in `crc32c` and `x-goog-hash`. */
  base64(): string {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return bytes.toString('base64');
  }
}
