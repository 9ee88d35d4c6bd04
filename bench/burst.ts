/**
 * Burst throughput: events pre-loaded on a queue, one relay at a given
 * RELAY_CONCURRENCY draining them, beside the floor: as many `sbatch` calls
 * with the same parallelism over one open SSH connection. Relay and floor
 * alternate, burst after burst.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";

import { waitForEmptyQueue } from "../test/support/burst.js";
import { sendJobs } from "../test/support/publish.js";
import { relayEnv } from "../test/support/relay-env.js";
import { RelayProcess } from "../test/support/relay-process.js";
import { jobsNamed } from "../test/support/slurm.js";
import { createQueue, deleteQueue } from "../test/support/stack.js";
import { SbatchFloor } from "./floor.js";
import { benchJob, cancelJobs } from "./job.js";
import { fixed, medianWithSpread, type Section } from "./report.js";
import { summarize, type Summary } from "./stats.js";

/** How big and how many bursts. */
export interface BurstSettings {
  events: number;
  runs: number;
  concurrency: number[];
}

/** Jobs per second at one concurrency, over every run. */
export interface BurstFigure {
  concurrency: number;
  relay: Summary;
  floor: Summary;
}

// Generous: a relay at concurrency 1 on a slow machine takes ~0.2 s a job.
const MS_PER_EVENT_LIMIT = 1000;

function logTime(line: Record<string, unknown>): number {
  return Date.parse(String(line.time));
}

/**
 * One burst through a fresh relay.
 * @returns jobs per second, from the first message received to the last
 *   job id, so the relay's start-up (node, config, SDK) is left out
 */
async function relayBurst(
  client: SQSClient,
  events: number,
  concurrency: number,
): Promise<number> {
  const job = benchJob(`bench-burst-c${String(concurrency)}`);
  const queueUrl = await createQueue(client, "bench-burst");
  await sendJobs(
    client,
    queueUrl,
    Array.from({ length: events }, () => ({})),
  );
  const relay = RelayProcess.start(
    relayEnv(queueUrl, {
      ROUTES_FILE: job.routesFile,
      RELAY_CONCURRENCY: String(concurrency),
      RELAY_WAIT_SECONDS: "20",
    }),
  );

  try {
    // The queue, not the log, is watched: parsing a growing log many times
    // a second would take CPU from the relay being measured.
    await waitForEmptyQueue(client, queueUrl, events * MS_PER_EVENT_LIMIT);
    const received = relay.events("message_received").map(logTime);
    const submitted = relay.events("job_submitted").map(logTime);
    const slurm = jobsNamed(job.jobName).length;
    if (submitted.length !== events || slurm !== events) {
      throw new Error(
        `a burst of ${events} events at concurrency ${concurrency} gave ${submitted.length} job_submitted lines and ${slurm} SLURM jobs (expected ${events} of each)`,
      );
    }
    const seconds = (Math.max(...submitted) - Math.min(...received)) / 1000;
    return events / seconds;
  } finally {
    await relay.stop();
    await deleteQueue(client, queueUrl);
    cancelJobs(job);
  }
}

/** The same number of sbatch calls, `concurrency` at a time. */
async function floorBurst(
  events: number,
  concurrency: number,
): Promise<number> {
  const job = benchJob(`bench-floor-c${String(concurrency)}`);
  const floor = await SbatchFloor.open(job, { noDelay: true });
  let next = 0;
  const worker = async () => {
    while (next < events) {
      next += 1;
      await floor.submit();
    }
  };

  try {
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return events / ((performance.now() - start) / 1000);
  } finally {
    floor.close();
    cancelJobs(job);
  }
}

/** Runs every burst, alternating relay and floor. */
export async function benchBurst(
  client: SQSClient,
  settings: BurstSettings,
): Promise<{ section: Section; figures: BurstFigure[] }> {
  const rates = settings.concurrency.map(() => ({
    relay: [] as number[],
    floor: [] as number[],
  }));

  for (let run = 0; run < settings.runs; run++) {
    for (const [i, concurrency] of settings.concurrency.entries()) {
      const takeRelay = async () => {
        rates[i]?.relay.push(
          await relayBurst(client, settings.events, concurrency),
        );
      };
      const takeFloor = async () => {
        rates[i]?.floor.push(await floorBurst(settings.events, concurrency));
      };
      const order =
        run % 2 === 0 ? [takeRelay, takeFloor] : [takeFloor, takeRelay];
      for (const take of order) {
        await take();
      }
    }
  }

  const figures = settings.concurrency.map((concurrency, i) => ({
    concurrency,
    relay: summarize(rates[i]?.relay ?? []),
    floor: summarize(rates[i]?.floor ?? []),
  }));
  return { section: burstSection(settings, figures), figures };
}

function burstSection(
  settings: BurstSettings,
  figures: BurstFigure[],
): Section {
  return {
    title: "Burst throughput",
    method: `${settings.events} events pre-loaded on a fresh queue, then one \`bii-relay run\` (sbatch route mode) at each RELAY_CONCURRENCY drains them: jobs per second from its first \`message_received\` to its last \`job_submitted\`, every job checked in SLURM. The floor submits as many jobs with \`sbatch --parsable\` over one SSH connection already open, as many at a time as the relay's concurrency. ${settings.runs} bursts of each, relay and floor alternating; median (p10-p90).`,
    header: [
      "concurrency",
      "bii-relay jobs/s",
      "floor jobs/s",
      "relay / floor",
    ],
    rows: figures.map((f) => [
      String(f.concurrency),
      medianWithSpread(f.relay, 1),
      medianWithSpread(f.floor, 1),
      `${fixed(f.relay.median / f.floor.median, 2)}x`,
    ]),
    notes: [],
  };
}
