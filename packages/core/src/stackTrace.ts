import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';

let cached: { file: string; map: SourceMap } | null | undefined;

/** The source map of the running bundle (`<bundle>.map`), read once, on the first error that needs it. */
function bundleMap(): { file: string; map: SourceMap } | null {
  if (cached !== undefined) return cached;
  const file = require.main?.filename;
  cached = file && existsSync(`${file}.map`) ? { file, map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) } : null;
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
