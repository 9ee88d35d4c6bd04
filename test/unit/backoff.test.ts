import { backoffMs } from "../../relay/backoff.js";

const ALMOST_ONE = 1 - Number.EPSILON;

describe("backoffMs", () => {
  it("waits between half and all of the base on the first retry", () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => ALMOST_ONE)).toBe(1000);
  });

  it("doubles the ceiling with each attempt", () => {
    expect(backoffMs(2, 1000, 60_000, () => 0)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => ALMOST_ONE)).toBe(8000);
  });

  it("never goes past the cap, however many attempts failed", () => {
    expect(backoffMs(7, 1000, 60_000, () => 0)).toBe(30_000);
    expect(backoffMs(7, 1000, 60_000, () => ALMOST_ONE)).toBe(60_000);
    expect(backoffMs(1000, 1000, 60_000, () => ALMOST_ONE)).toBe(60_000);
  });

  it("treats an attempt below 1 as the first retry", () => {
    expect(backoffMs(0, 1000, 60_000, () => 0)).toBe(500);
  });
});
