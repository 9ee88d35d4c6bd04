/**
 * The end-to-end latency table: the relay, the floor and the original
 * design, and the parts that tell where the relay's time goes.
 */
import { fixed, type Section } from "./report.js";
import type { Summary } from "./stats.js";

/** The figures the targets are judged on. */
export interface LatencyFigures {
  relay: Summary;
  /** sbatch over an open connection with TCP_NODELAY. */
  floor: Summary;
  originalJobId: Summary;
  originalIteration: Summary;
}

/** Where the relay's time goes. */
export interface LatencyParts {
  /** SendMessage until the relay logged the message as received. */
  queueWait: Summary;
  /** The floor's sbatch with Nagle's algorithm on, as ssh2 leaves it. */
  floorNagle: Summary;
  /** The relay's remote command, with TCP_NODELAY. */
  command: Summary;
  /** The relay's remote command with Nagle's algorithm on. */
  commandNagle: Summary;
}

function row(name: string, s: Summary, floor: Summary): string[] {
  return [
    name,
    fixed(s.median),
    fixed(s.p95),
    fixed(s.p99),
    `${fixed(s.p10)}-${fixed(s.p90)}`,
    String(s.count),
    `${fixed(s.median / floor.median, 2)}x`,
  ];
}

// A message arriving at a random moment waits on average half the sleep,
// at worst all of it, before the iteration that takes it starts.
function withSleep(name: string, waitMs: number, f: LatencyFigures): string[] {
  const total = waitMs + f.originalJobId.median;
  return [
    name,
    fixed(total),
    "",
    "",
    "",
    "derived",
    `${fixed(total / f.floor.median, 0)}x`,
  ];
}

const METHOD = [
  "One event at a time, from just before SendMessage to the moment the SLURM job id is known, in milliseconds.",
  "The relay: `bii-relay run` in sbatch route mode, already running and long-polling (RELAY_WAIT_SECONDS=20), a new commit each time; the job id is known at the `time` of its `job_submitted` log line.",
  "The floor: `sbatch --parsable` over an SSH connection already open, with TCP_NODELAY; the same command with Nagle's algorithm on, as ssh2 (and so the relay) leaves it; and the relay's own remote command (ledger, bootstrap, `timeout`, sbatch, with the job's environment on stdin) both ways.",
  "These take turns in an order that rotates every round.",
  "Every few rounds, one iteration of the original design's loop (bench/original-loop.sh: queue size, receive, ssh, delete, each a new process) starts right after the send, without its 30 s sleep.",
].join(" ");

/** The latency section of the results. */
export function latencySection(f: LatencyFigures, p: LatencyParts): Section {
  return {
    title: "End-to-end latency",
    method: METHOD,
    header: ["path", "p50", "p95", "p99", "p10-p90", "n", "p50 / floor"],
    rows: [
      row("bii-relay: SendMessage to job id", f.relay, f.floor),
      row("of which SendMessage to message received", p.queueWait, f.floor),
      row("floor: sbatch over an open connection", f.floor, f.floor),
      row("sbatch over an open connection, Nagle on", p.floorNagle, f.floor),
      row("the relay's remote command, TCP_NODELAY", p.command, f.floor),
      row("the relay's remote command, Nagle on", p.commandNagle, f.floor),
      row(
        "original loop, no sleep: SendMessage to job id",
        f.originalJobId,
        f.floor,
      ),
      row(
        "original loop, no sleep: whole iteration",
        f.originalIteration,
        f.floor,
      ),
      withSleep("original loop with its 30 s sleep: mean", 15_000, f),
      withSleep("original loop with its 30 s sleep: worst", 30_000, f),
    ],
    notes: [
      "The original design's figures with its sleep are derived: half the sleep (15 s) on average, all of it (30 s) at worst, plus the iteration up to the job id.",
    ],
  };
}
