/**
 * End-to-end latency: from SendMessage to the SLURM job id, one event at a
 * time, through a running relay that long-polls as in production. Beside
 * it, in alternating rounds: the floor (sbatch over an open connection) and
 * the original design's loop without its sleep.
 */
import { setTimeout as sleep } from "node:timers/promises";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { sendJob } from "../test/support/publish.js";
import { relayEnv } from "../test/support/relay-env.js";
import { RelayProcess } from "../test/support/relay-process.js";
import { createQueue, deleteQueue } from "../test/support/stack.js";
import { SbatchFloor } from "./floor.js";
import { benchJob, type BenchJob } from "./job.js";
import { originalLoopEnv, originalSample } from "./original-loop.js";
import { relaySbatch, type RemoteCall } from "./relay-command.js";
import { fixed, type Section } from "./report.js";
import { summarize, type Summary } from "./stats.js";

/** How many samples to take. */
export interface LatencySettings {
  /** Events through the relay, and as many floor calls. */
  events: number;
  /** Iterations of the original loop, spread among the rounds. */
  originalRuns: number;
}

/** The figures the targets are judged on. */
export interface LatencyFigures {
  relay: Summary;
  floor: Summary;
  originalJobId: Summary;
  originalIteration: Summary;
}

/** One event through the relay, split where the relay received it. */
interface RelaySample {
  totalMs: number;
  queueMs: number;
}

const WARMUP_EVENTS = 3;
// Long enough for the relay to delete the last message and be back in its
// long poll, which is where an idle relay spends its time.
const SETTLE_MS = 300;
const EVENT_TIMEOUT_MS = 60_000;

async function relaySample(
  relay: RelayProcess,
  client: SQSClient,
  queueUrl: string,
): Promise<RelaySample> {
  await sleep(SETTLE_MS);
  // Wall-clock time, as the relay's log lines carry it.
  const sentAt = Date.now();
  const id = await sendJob(client, queueUrl);
  const mine = (line: Record<string, unknown>) => line.message_id === id;

  const [submitted] = await relay.waitForEvents(
    "job_submitted",
    1,
    EVENT_TIMEOUT_MS,
    mine,
  );
  const [received] = relay.events("message_received", mine);
  return {
    totalMs: Date.parse(String(submitted?.time)) - sentAt,
    queueMs: Date.parse(String(received?.time)) - sentAt,
  };
}

async function floorSample(
  floor: SbatchFloor,
  build?: (job: BenchJob) => RemoteCall,
): Promise<number> {
  const start = performance.now();
  await floor.submit(build);
  return performance.now() - start;
}

/** Samples of every contender, gathered round by round. */
interface Samples {
  relay: RelaySample[];
  floor: number[];
  relayCommand: number[];
  originalJobId: number[];
  originalIteration: number[];
}

async function sampleRounds(
  settings: LatencySettings,
  relay: RelayProcess,
  floor: SbatchFloor,
  client: SQSClient,
  queues: { relay: string; original: string; job: BenchJob },
): Promise<Samples> {
  const samples: Samples = {
    relay: [],
    floor: [],
    relayCommand: [],
    originalJobId: [],
    originalIteration: [],
  };
  const originalEnv = originalLoopEnv(queues.original, queues.job);
  const originalEvery = Math.max(
    1,
    Math.floor(settings.events / Math.max(1, settings.originalRuns)),
  );

  for (let round = 0; round < settings.events; round++) {
    const takes = [
      async () => {
        samples.relay.push(await relaySample(relay, client, queues.relay));
      },
      async () => {
        samples.floor.push(await floorSample(floor));
      },
      async () => {
        samples.relayCommand.push(await floorSample(floor, relaySbatch));
      },
    ];
    // Rotate which goes first, so none always follows another.
    for (let i = 0; i < takes.length; i++) {
      await takes[(round + i) % takes.length]?.();
    }

    if (
      round % originalEvery === 0 &&
      samples.originalJobId.length < settings.originalRuns
    ) {
      const original = await originalSample(
        client,
        queues.original,
        originalEnv,
      );
      samples.originalJobId.push(original.jobIdMs);
      samples.originalIteration.push(original.iterationMs);
    }
  }
  return samples;
}

/** Runs the latency benchmark on queues of its own. */
export async function benchLatency(
  client: SQSClient,
  settings: LatencySettings,
): Promise<{ section: Section; figures: LatencyFigures }> {
  const job = benchJob("bench-latency");
  const relayQueue = await createQueue(client, "bench-latency");
  const originalQueue = await createQueue(client, "bench-original");
  const relay = RelayProcess.start(
    relayEnv(relayQueue, {
      ROUTES_FILE: job.routesFile,
      RELAY_WAIT_SECONDS: "20",
    }),
  );
  let floor: SbatchFloor | undefined;

  try {
    // The first events open the relay's SSH connection and warm it up.
    for (let i = 0; i < WARMUP_EVENTS; i++) {
      await relaySample(relay, client, relayQueue);
    }
    floor = await SbatchFloor.open(job, 1);
    const samples = await sampleRounds(settings, relay, floor, client, {
      relay: relayQueue,
      original: originalQueue,
      job,
    });
    const figures: LatencyFigures = {
      relay: summarize(samples.relay.map((s) => s.totalMs)),
      floor: summarize(samples.floor),
      originalJobId: summarize(samples.originalJobId),
      originalIteration: summarize(samples.originalIteration),
    };
    const parts = {
      queueWait: summarize(samples.relay.map((s) => s.queueMs)),
      relayCommand: summarize(samples.relayCommand),
    };
    return { section: latencySection(figures, parts), figures };
  } finally {
    await floor?.close();
    await relay.stop();
    await deleteQueue(client, relayQueue);
    await deleteQueue(client, originalQueue);
  }
}

function latencyRow(name: string, s: Summary, floor: Summary): string[] {
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

function withSleep(name: string, waitMs: number, f: LatencyFigures): string[] {
  const iteration = f.originalJobId.median;
  return [
    name,
    fixed(waitMs + iteration),
    "",
    "",
    "",
    "derived",
    `${fixed((waitMs + iteration) / f.floor.median, 0)}x`,
  ];
}

function latencySection(
  f: LatencyFigures,
  parts: { queueWait: Summary; relayCommand: Summary },
): Section {
  return {
    title: "End-to-end latency",
    method: `One event at a time, from just before SendMessage to the moment the SLURM job id is known: for the relay, the \`time\` of its \`job_submitted\` log line (\`bii-relay run\` in sbatch route mode, already running, long-polling with RELAY_WAIT_SECONDS=20, a new commit each time); for the floor, \`sbatch --parsable\` over an SSH connection already open (the same connection also sends the relay's own remote command: ledger, bootstrap, \`timeout\`, sbatch, to show the cluster side's share); for the original design, one iteration of its loop (bench/original-loop.sh: queue size, receive, ssh, delete, each with a new process) started right after the send, without its 30 s sleep. Relay, floor and the relay's command take turns in rotating order every round; the original loop runs every few rounds. Milliseconds.`,
    header: ["path", "p50", "p95", "p99", "p10-p90", "n", "p50 / floor"],
    rows: [
      latencyRow("bii-relay: SendMessage to job id", f.relay, f.floor),
      latencyRow(
        "of which SendMessage to message received",
        parts.queueWait,
        f.floor,
      ),
      latencyRow("floor: sbatch over an open SSH connection", f.floor, f.floor),
      latencyRow(
        "the relay's remote command over an open SSH connection",
        parts.relayCommand,
        f.floor,
      ),
      latencyRow(
        "original loop, no sleep: SendMessage to job id",
        f.originalJobId,
        f.floor,
      ),
      latencyRow(
        "original loop, no sleep: whole iteration",
        f.originalIteration,
        f.floor,
      ),
      withSleep("original loop with sleep 30: mean (15 s wait)", 15_000, f),
      withSleep("original loop with sleep 30: worst (30 s wait)", 30_000, f),
    ],
    notes: [
      "The original design's figures with its sleep are derived: a message arriving at a random moment waits on average half the 30 s sleep, at worst all of it, before the iteration that takes it starts.",
    ],
  };
}
