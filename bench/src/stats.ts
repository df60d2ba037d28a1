/** One line of the benchmark table; `raw` holds the measured figures behind it for latest.json. */
export interface Row {
  benchmark: string;
  result: string;
  vsFloor: string;
  target: string;
  met: boolean;
  raw: Record<string, number>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
