/**
 * End-to-end latency: from SendMessage to the SLURM job id, one event at a
 * time, through a running relay that long-polls as in production. Beside
 * it, in rotating turns: the floor (sbatch over an open connection), the
 * relay's own remote command over the same connection, each with Nagle's
 * algorithm off and on, and every few rounds the original design's loop
 * without its sleep.
 */
import { setTimeout as sleep } from "node:timers/promises";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { sendJob } from "../test/support/publish.js";
import { relayEnv } from "../test/support/relay-env.js";
import { RelayProcess } from "../test/support/relay-process.js";
import { createQueue, deleteQueue } from "../test/support/stack.js";
import { SbatchFloor } from "./floor.js";
import { benchJob, cancelJobs, type BenchJob } from "./job.js";
import {
  latencySection,
  type LatencyFigures,
  type LatencyParts,
} from "./latency-section.js";
import {
  originalLoopEnv,
  originalSample,
  type OriginalSample,
} from "./original-loop.js";
import { relaySbatch, type RemoteCall } from "./relay-command.js";
import type { Section } from "./report.js";
import { summarize } from "./stats.js";

export type { LatencyFigures } from "./latency-section.js";

/** How many samples to take. */
export interface LatencySettings {
  /** Events through the relay, and as many floor calls. */
  events: number;
  /** Iterations of the original loop, spread among the rounds. */
  originalRuns: number;
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

/** Commands sent straight over an open connection, without the relay. */
type DirectKind = "floor" | "floorNagle" | "command" | "commandNagle";

/** Samples of every contender, gathered round by round. */
interface Samples {
  relay: RelaySample[];
  direct: Record<DirectKind, number[]>;
  original: OriginalSample[];
}

/** The floor's two connections: Nagle's algorithm off, and on. */
interface Floors {
  fast: SbatchFloor;
  nagle: SbatchFloor;
}

function directTakes(floors: Floors, samples: Samples) {
  const take =
    (kind: DirectKind, floor: SbatchFloor, build?: typeof relaySbatch) =>
    async () => {
      samples.direct[kind].push(await floorSample(floor, build));
    };
  return [
    take("floor", floors.fast),
    take("floorNagle", floors.nagle),
    take("command", floors.fast, relaySbatch),
    take("commandNagle", floors.nagle, relaySbatch),
  ];
}

async function sampleRounds(
  settings: LatencySettings,
  relay: RelayProcess,
  floors: Floors,
  client: SQSClient,
  queues: { relay: string; original: string; job: BenchJob },
): Promise<Samples> {
  const samples: Samples = {
    relay: [],
    direct: { floor: [], floorNagle: [], command: [], commandNagle: [] },
    original: [],
  };
  const takes = [
    async () => {
      samples.relay.push(await relaySample(relay, client, queues.relay));
    },
    ...directTakes(floors, samples),
  ];
  const originalEnv = originalLoopEnv(queues.original, queues.job);
  const originalEvery = Math.max(
    1,
    Math.floor(settings.events / settings.originalRuns),
  );

  for (let round = 0; round < settings.events; round++) {
    // Rotate which goes first, so none always follows another.
    for (let i = 0; i < takes.length; i++) {
      await takes[(round + i) % takes.length]?.();
    }
    if (
      round % originalEvery === 0 &&
      samples.original.length < settings.originalRuns
    ) {
      samples.original.push(
        await originalSample(client, queues.original, originalEnv),
      );
    }
  }
  return samples;
}

async function openFloors(job: BenchJob): Promise<Floors> {
  const fast = await SbatchFloor.open(job, { noDelay: true });
  try {
    return { fast, nagle: await SbatchFloor.open(job, { noDelay: false }) };
  } catch (error) {
    fast.close();
    throw error;
  }
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
  let floors: Floors | undefined;

  try {
    // The first events open the relay's SSH connection and warm it up.
    for (let i = 0; i < WARMUP_EVENTS; i++) {
      await relaySample(relay, client, relayQueue);
    }
    floors = await openFloors(job);
    const samples = await sampleRounds(settings, relay, floors, client, {
      relay: relayQueue,
      original: originalQueue,
      job,
    });
    return latencyResults(samples);
  } finally {
    floors?.fast.close();
    floors?.nagle.close();
    await relay.stop();
    await deleteQueue(client, relayQueue);
    await deleteQueue(client, originalQueue);
    cancelJobs(job);
  }
}

function latencyResults(samples: Samples): {
  section: Section;
  figures: LatencyFigures;
} {
  const figures: LatencyFigures = {
    relay: summarize(samples.relay.map((s) => s.totalMs)),
    floor: summarize(samples.direct.floor),
    originalJobId: summarize(samples.original.map((s) => s.jobIdMs)),
    originalIteration: summarize(samples.original.map((s) => s.iterationMs)),
  };
  const parts: LatencyParts = {
    queueWait: summarize(samples.relay.map((s) => s.queueMs)),
    floorNagle: summarize(samples.direct.floorNagle),
    command: summarize(samples.direct.command),
    commandNagle: summarize(samples.direct.commandNagle),
  };
  return { section: latencySection(figures, parts), figures };
}
