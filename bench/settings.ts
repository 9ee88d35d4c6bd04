/**
 * The benchmarks' settings: which ones to run (command-line arguments) and
 * how long each runs (BENCH_* environment variables), so that a run can be
 * scaled down for a quick look or up for steadier figures.
 */

/** The benchmarks, in the order they run. */
export const BENCHMARKS = ["publish", "latency", "burst", "idle"] as const;

/** One of {@link BENCHMARKS}. */
export type Benchmark = (typeof BENCHMARKS)[number];

/** Everything a run needs to know. */
export interface BenchSettings {
  benchmarks: Benchmark[];
  /** Alternating publish rounds (BENCH_ROUNDS). */
  publishRounds: number;
  /** Events through the relay, one at a time (BENCH_EVENTS). */
  latencyEvents: number;
  /** Iterations of the original loop (BENCH_ORIGINAL_RUNS). */
  originalRuns: number;
  /** Events pre-loaded for each burst (BENCH_BURST_EVENTS). */
  burstEvents: number;
  /** Bursts at each concurrency (BENCH_BURST_RUNS). */
  burstRuns: number;
  /** The relay's RELAY_CONCURRENCY for each burst (BENCH_BURST_CONCURRENCY). */
  burstConcurrency: number[];
  /** How long an idle relay is watched (BENCH_IDLE_SECONDS). */
  idleSeconds: number;
  /** How long a relay without SQS is watched (BENCH_DOWN_SECONDS). */
  downSeconds: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function count(env: Env, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === "") {
    return fallback;
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(
      `${name} '${text}' is not a whole number of at least ${min}`,
    );
  }
  return value;
}

function concurrencies(env: Env): number[] {
  const text = env.BENCH_BURST_CONCURRENCY ?? "1,4,16";
  const values = text.split(",").map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1 || v > 64)) {
    throw new Error(
      `BENCH_BURST_CONCURRENCY '${text}' is not a comma-separated list of whole numbers from 1 to 64 (RELAY_CONCURRENCY's range)`,
    );
  }
  return values;
}

function benchmarks(args: string[]): Benchmark[] {
  const known: readonly string[] = BENCHMARKS;
  const unknown = args.filter((a) => !known.includes(a));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark '${unknown.join("', '")}' (expected some of: ${BENCHMARKS.join(", ")})`,
    );
  }
  return args.length === 0
    ? [...BENCHMARKS]
    : BENCHMARKS.filter((b) => args.includes(b));
}

/**
 * Reads the settings.
 * @param args - benchmark names; none means all of them
 * @throws for an unknown benchmark or a bad BENCH_* value
 */
export function readSettings(args: string[], env: Env): BenchSettings {
  return {
    benchmarks: benchmarks(args),
    publishRounds: count(env, "BENCH_ROUNDS", 21, 1),
    latencyEvents: count(env, "BENCH_EVENTS", 100, 1),
    originalRuns: count(env, "BENCH_ORIGINAL_RUNS", 11, 1),
    burstEvents: count(env, "BENCH_BURST_EVENTS", 500, 1),
    burstRuns: count(env, "BENCH_BURST_RUNS", 3, 1),
    burstConcurrency: concurrencies(env),
    idleSeconds: count(env, "BENCH_IDLE_SECONDS", 120, 30),
    downSeconds: count(env, "BENCH_DOWN_SECONDS", 30, 5),
  };
}
