// Summary statistics for benchmark samples.
export interface Summary {
  runs: number;
  median: number;
  min: number;
  max: number;
  p99?: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (!samples.length) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const round = (n: number) => Math.round(n * 10) / 10;
  return { runs: sorted.length, median: round(median), min: round(sorted[0]!), max: round(sorted.at(-1)!) };
}
