// A benchmark measures one or more figures over repeated runs. Figures are reported, never asserted:
// `targets` are printed beside the results for the reader.
export interface Benchmark {
  name: string;
  description: string;
  /** figure name -> target value (same unit), shown next to the median */
  targets: Record<string, number>;
  run(runs: number): Promise<Record<string, number[]>>;
}
