import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { SourceLocation } from './errors';

let bundleFile: string | undefined;
let cached: { file: string; map: SourceMap } | null | undefined;

/** Makes sourceMappedStack rewrite frames of this flow bundle (its map is `<bundle>.map`). */
export function mapStacksOfBundle(file: string): void {
  bundleFile = file;
  cached = undefined;
}

/** The source map of the running bundle, read once, on the first error that needs it. */
function bundleMap(): { file: string; map: SourceMap } | null {
  if (cached !== undefined) return cached;
  cached = bundleFile && existsSync(`${bundleFile}.map`) ? { file: bundleFile, map: new SourceMap(JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8'))) } : null;
  return cached;
}

/**
 * Rewrites stack frames that point into the flow's bundle to the user's source (file:line:col).
 * Done on demand instead of with --enable-source-maps, which costs every task ~25 ms at start.
 */
export function sourceMappedStack(stack: string): string {
  const bundle = bundleMap();
  if (!bundle) return stack;
  return stack.replace(/([(\s])([^\s()]+):(\d+):(\d+)(\)?)$/gm, (whole, before: string, file: string, line: string, column: string, after: string) => {
    if (file !== bundle.file) return whole;
    const entry = bundle.map.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return whole;
    // Sources are recorded relative to the bundle's directory.
    const source = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : resolve(dirname(bundle.file), entry.originalSource);
    return `${before}${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}${after}`;
  });
}

/** Where in the user's source an error was thrown: its first mapped frame outside the bundle, Node and node_modules. */
export function sourceLocationOf(error: Error): SourceLocation | undefined {
  const bundle = bundleMap();
  for (const [, file, line, column] of sourceMappedStack(error.stack ?? '').matchAll(/[(\s]([^\s()]+):(\d+):(\d+)\)?$/gm)) {
    if (file && file !== bundle?.file && !file.startsWith('node:') && !file.includes('/node_modules/')) return { file, line: Number(line), column: Number(column) };
  }
  return undefined;
}
