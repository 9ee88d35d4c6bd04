import { median, percentile, summarize } from "../../bench/stats.js";

describe("percentile", () => {
  it("gives the value itself for a sample of one", () => {
    expect(percentile([7], 0)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  it("gives the smallest and largest value at 0 and 100", () => {
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([3, 1, 2], 100)).toBe(3);
  });

  it("interpolates between the two nearest ranks", () => {
    // Ranks 0..4; p25 falls exactly on rank 1, p30 between ranks 1 and 2.
    const values = [10, 20, 30, 40, 50];
    expect(percentile(values, 25)).toBe(20);
    expect(percentile(values, 30)).toBeCloseTo(22);
  });

  it("does not depend on the order of the sample", () => {
    expect(percentile([5, 1, 4, 2, 3], 75)).toBe(4);
  });

  it("leaves the sample unsorted", () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it("puts p99 of 100 values below the maximum when the top one stands out", () => {
    const values = [...Array.from({ length: 99 }, (_, i) => i + 1), 1000];
    expect(percentile(values, 99)).toBeCloseTo(99 + 0.01 * 901);
    expect(percentile(values, 99)).toBeLessThan(1000);
  });

  it("refuses an empty sample", () => {
    expect(() => percentile([], 50)).toThrow("empty sample");
  });

  it("refuses a percentile outside 0-100", () => {
    expect(() => percentile([1], 101)).toThrow(
      "percentile 101 is out of range",
    );
    expect(() => percentile([1], -1)).toThrow("out of range");
    expect(() => percentile([1], NaN)).toThrow("out of range");
  });
});

describe("median", () => {
  it("takes the middle value of an odd sample", () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it("takes the mean of the middle pair of an even sample", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("summarize", () => {
  it("reports the count, extremes, median and spread of a sample", () => {
    const values = Array.from({ length: 11 }, (_, i) => i * 10);
    expect(summarize(values)).toEqual({
      count: 11,
      min: 0,
      p10: 10,
      median: 50,
      p90: 90,
      p95: 95,
      p99: 99,
      max: 100,
    });
  });

  it("refuses an empty sample", () => {
    expect(() => summarize([])).toThrow("empty sample");
  });
});
