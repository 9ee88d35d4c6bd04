/**
 * The statistics every benchmark reports: percentiles of a sample, and a
 * summary of its middle and spread.
 */

/** A sample reduced to what the results tables show. */
export interface Summary {
  count: number;
  min: number;
  p10: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * The p-th percentile (0-100), interpolated linearly between the two
 * nearest ranks, so that the median of an even sample is the mean of its
 * middle pair and p99 of 100 values is not simply the maximum.
 * @throws when the sample is empty or p is outside 0-100
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    throw new Error(
      "percentile of an empty sample (expected one value or more)",
    );
  }
  if (!(p >= 0 && p <= 100)) {
    throw new Error(`percentile ${p} is out of range (expected 0-100)`);
  }

  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const low = sorted[below] ?? NaN;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? NaN;
  return low + (high - low) * (rank - below);
}

/** The median: the 50th percentile. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * Summarises a sample.
 * @throws when the sample is empty
 */
export function summarize(values: readonly number[]): Summary {
  const at = (p: number): number => percentile(values, p);
  return {
    count: values.length,
    min: at(0),
    p10: at(10),
    median: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    max: at(100),
  };
}
