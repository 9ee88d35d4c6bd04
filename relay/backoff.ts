/**
 * Exponential back-off with equal jitter: attempt n waits a random time
 * between half and all of min(cap, base * 2^(n-1)), so that relays that
 * failed together do not retry together.
 * @param attempt - 1 for the first retry
 * @param random - a source in [0, 1), injectable for tests
 * @returns milliseconds
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
