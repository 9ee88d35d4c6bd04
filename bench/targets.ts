/**
 * The targets the benchmarks are read against, and whether a run met them.
 * They are figures to report, not tests: a miss is explained in the README,
 * not failed.
 */
import type { BurstFigure } from "./burst.js";
import type { IdleFigures } from "./idle.js";
import type { LatencyFigures } from "./latency.js";
import { fixed, type Section } from "./report.js";

/** The largest end-to-end p50, as a multiple of the floor's. */
export const LATENCY_RATIO_MAX = 1.25;
/** The smallest burst throughput, as a multiple of the floor's. */
export const BURST_RATIO_MIN = 0.8;
export const RECEIVES_PER_HOUR_MAX = 180;
export const RSS_MB_MAX = 80;
/** "Near-zero" CPU while SQS is down: under 1% of one core. */
export const DOWN_CPU_SHARE_MAX = 0.01;

/** Whatever the run measured; a benchmark not run leaves its part out. */
export interface Figures {
  latency?: LatencyFigures;
  burst?: BurstFigure[];
  idle?: IdleFigures;
}

function verdict(met: boolean): string {
  return met ? "met" : "missed";
}

function latencyRows(f: LatencyFigures): string[][] {
  const ratio = f.relay.median / f.floor.median;
  return [
    [
      `end-to-end p50 at most ${LATENCY_RATIO_MAX}x the floor's`,
      `${fixed(f.relay.median)} ms vs ${fixed(f.floor.median)} ms: ${fixed(ratio, 2)}x`,
      verdict(ratio <= LATENCY_RATIO_MAX),
    ],
  ];
}

function burstRows(figures: BurstFigure[]): string[][] {
  return figures.map((f) => {
    const ratio = f.relay.median / f.floor.median;
    return [
      `burst throughput at concurrency ${f.concurrency} at least ${BURST_RATIO_MIN}x the floor's`,
      `${fixed(f.relay.median, 1)} vs ${fixed(f.floor.median, 1)} jobs/s: ${fixed(ratio, 2)}x`,
      verdict(ratio >= BURST_RATIO_MIN),
    ];
  });
}

function idleRows(f: IdleFigures): string[][] {
  return [
    [
      `at most ${RECEIVES_PER_HOUR_MAX} receive calls per idle hour`,
      fixed(f.receivesPerHour),
      verdict(f.receivesPerHour <= RECEIVES_PER_HOUR_MAX),
    ],
    [
      `RSS at most ${RSS_MB_MAX} MB`,
      `${fixed(f.rss.max, 1)} MB at most`,
      verdict(f.rss.max <= RSS_MB_MAX),
    ],
    [
      "near-zero CPU while SQS is down (under 1% of a core)",
      `${fixed(f.downCpu.median * 100, 2)}% of a core`,
      verdict(f.downCpu.median < DOWN_CPU_SHARE_MAX),
    ],
  ];
}

/** The targets table, or undefined when nothing it covers was measured. */
export function targetsSection(figures: Figures): Section | undefined {
  const rows = [
    ...(figures.latency ? latencyRows(figures.latency) : []),
    ...(figures.burst ? burstRows(figures.burst) : []),
    ...(figures.idle ? idleRows(figures.idle) : []),
  ];
  if (rows.length === 0) {
    return undefined;
  }
  return {
    title: "Against the targets",
    method: "Medians of the runs below; RSS by its largest sample.",
    header: ["target", "measured", "verdict"],
    rows,
    notes: [],
  };
}
