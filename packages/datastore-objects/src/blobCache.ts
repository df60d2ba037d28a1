import { readFileSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '@flowkit/core/internal';

/** An entry larger than this share of the cache is not kept: it would push out everything else. */
const LARGEST_SHARE = 4;
/** Eviction frees down to this share of the limit, so it runs rarely. */
const LOW_WATER = 0.8;

/**
 * Blobs downloaded before, on local disk: content-addressed blobs never change, so a copy is always
 * right. Bounded in bytes (oldest-used entries go first); shared by the processes of one machine, each
 * writing whole files by rename. Every failure is a miss: the cache can only make reads faster.
 */
export class BlobCache {
  /** Bytes this process believes the cache holds; rescanned on eviction. */
  private estimate: number | undefined;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The cached bytes of a key, or undefined. */
  read(id: string): Buffer | undefined {
    if (!this.enabled) return undefined;
    const path = this.path(id);
    try {
      const data = readFileSync(path);
      const now = new Date();
      utimesSync(path, now, now);
      return data;
    } catch {
      return undefined;
    }
  }

  write(id: string, data: Buffer): void {
    if (!this.enabled || data.length > this.maxBytes / LARGEST_SHARE) return;
    const path = this.path(id);
    try {
      writeFileAtomically(path, data);
    } catch {
      return;
    }
    // The first write scans the directory, the new entry included.
    this.estimate = this.estimate === undefined ? this.scan().reduce((sum, entry) => sum + entry.size, 0) : this.estimate + data.length;
    if (this.estimate > this.maxBytes) this.evict();
  }

  /** `id` is `bucket/key` of a validated key (ObjectDataStore's cache id), so it is a safe relative path. */
  private path(id: string): string {
    return join(this.dir, id);
  }

  private evict(): void {
    const entries = this.scan().sort((a, b) => a.used - b.used);
    let total = entries.reduce((sum, entry) => sum + entry.size, 0);
    for (const entry of entries) {
      if (total <= this.maxBytes * LOW_WATER) break;
      rmSync(entry.path, { force: true });
      total -= entry.size;
    }
    this.estimate = total;
  }

  private scan(): Array<{ path: string; size: number; used: number }> {
    const found: Array<{ path: string; size: number; used: number }> = [];
    const walk = (dir: string) => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const name of names) {
        const path = join(dir, name);
        try {
          const stat = statSync(path);
          if (stat.isDirectory()) walk(path);
          else if (!name.endsWith('.tmp')) found.push({ path, size: stat.size, used: stat.mtimeMs });
        } catch {
          // Removed by another process meanwhile.
        }
      }
    };
    walk(this.dir);
    return found;
  }
}
