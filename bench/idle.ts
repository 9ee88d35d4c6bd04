/**
 * What a relay costs while nothing happens: SQS requests per hour and
 * memory of a relay idle in its long poll (after a few jobs, so that its
 * SSH session and SDK are loaded as in production), and CPU of a relay
 * whose SQS endpoint refuses connections. The two relays run side by side.
 */
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { cpuShare } from "../test/support/process-cpu.js";
import { sendJobs } from "../test/support/publish.js";
import { relayEnv } from "../test/support/relay-env.js";
import { RelayProcess } from "../test/support/relay-process.js";
import { createQueue, deleteQueue, stack } from "../test/support/stack.js";
import { benchJob, cancelJobs } from "./job.js";
import { rssMegabytes } from "./process-memory.js";
import { fixed, type Section } from "./report.js";
import { SqsCounter } from "./sqs-counter.js";
import { summarize, type Summary } from "./stats.js";

/** How long each relay is watched. */
export interface IdleSettings {
  idleSeconds: number;
  downSeconds: number;
}

/** The figures the targets are judged on. */
export interface IdleFigures {
  windowSeconds: number;
  receiveCalls: number;
  /** ReceiveMessage calls per hour, from the spacing of those counted. */
  receivesPerHour: number;
  otherCalls: number;
  /** MB, sampled every few seconds. */
  rss: Summary;
  /** MB of a bare Node process doing nothing, for reference. */
  bareNodeRss: number;
  /** Share of one core, per sampling interval. */
  idleCpu: Summary;
  downCpu: Summary;
  /** Receive attempts the relay without SQS made while watched. */
  downAttempts: number;
}

const SAMPLE_MS = 5000;
const WARMUP_EVENTS = 3;
// A relay's own start-up (loading modules, reading keys) is not idle time.
const START_UP_MS = 5000;

/** RSS and CPU share of a process, one sample every SAMPLE_MS. */
async function watch(
  pid: number,
  seconds: number,
): Promise<{ rss: number[]; cpu: number[] }> {
  const rss: number[] = [];
  const cpu: number[] = [];
  const samples = Math.max(1, Math.round((seconds * 1000) / SAMPLE_MS));
  for (let i = 0; i < samples; i++) {
    cpu.push(await cpuShare(pid, SAMPLE_MS));
    rss.push(rssMegabytes(pid));
  }
  return { rss, cpu };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Calls per hour at the mean spacing of these call times. */
function perHour(times: number[]): number {
  const first = times[0];
  const last = times.at(-1);
  if (first === undefined || last === undefined || last === first) {
    return NaN;
  }
  return ((times.length - 1) * 3600_000) / (last - first);
}

async function idleRelay(
  client: SQSClient,
  queueUrl: string,
  seconds: number,
): Promise<Omit<IdleFigures, "downCpu" | "downAttempts" | "bareNodeRss">> {
  const job = benchJob("bench-idle");
  const counter = await SqsCounter.start(stack().sqsEndpoint);
  const relay = RelayProcess.start(
    relayEnv(queueUrl, {
      ROUTES_FILE: job.routesFile,
      RELAY_WAIT_SECONDS: "20",
      AWS_ENDPOINT_URL_SQS: counter.url,
    }),
  );

  try {
    await sendJobs(
      client,
      queueUrl,
      Array.from({ length: WARMUP_EVENTS }, () => ({})),
    );
    await relay.waitForEvents("job_submitted", WARMUP_EVENTS);
    await sleep(1000);

    const from = Date.now();
    const { rss, cpu } = await watch(relay.pid, seconds);
    const to = Date.now();
    const within = (t: number) => t >= from && t <= to;
    const receives = counter.callsOf("ReceiveMessage").filter(within);
    const others = counter.callsExcept("ReceiveMessage").filter(within);
    return {
      windowSeconds: (to - from) / 1000,
      receiveCalls: receives.length,
      receivesPerHour: perHour(receives),
      otherCalls: others.length,
      rss: summarize(rss),
      idleCpu: summarize(cpu),
    };
  } finally {
    await relay.stop();
    await counter.close();
    cancelJobs(job);
  }
}

async function relayWithoutSqs(
  queueUrl: string,
  seconds: number,
): Promise<{ cpu: Summary; attempts: number }> {
  const job = benchJob("bench-down");
  const port = await freePort();
  const relay = RelayProcess.start(
    relayEnv(queueUrl, {
      ROUTES_FILE: job.routesFile,
      RELAY_WAIT_SECONDS: "20",
      AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${String(port)}`,
    }),
  );

  try {
    await sleep(START_UP_MS);
    const before = relay.events("receive_failed").length;
    const { cpu } = await watch(relay.pid, seconds);
    const attempts = relay.events("receive_failed").length - before;
    return { cpu: summarize(cpu), attempts };
  } finally {
    await relay.stop();
  }
}

/** The memory of the same Node binary running nothing but a timer. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => 0, 1e6)"], {
    stdio: "ignore",
  });
  try {
    await sleep(START_UP_MS);
    return rssMegabytes(child.pid ?? 0);
  } finally {
    child.kill();
  }
}

/** Runs the idle measurements side by side. */
export async function benchIdle(
  client: SQSClient,
  settings: IdleSettings,
): Promise<{ section: Section; figures: IdleFigures }> {
  const queueUrl = await createQueue(client, "bench-idle");
  try {
    const [idle, down, bare] = await Promise.all([
      idleRelay(client, queueUrl, settings.idleSeconds),
      relayWithoutSqs(queueUrl, settings.downSeconds),
      bareNodeRss(),
    ]);
    const figures = {
      ...idle,
      bareNodeRss: bare,
      downCpu: down.cpu,
      downAttempts: down.attempts,
    };
    return { section: idleSection(settings, figures), figures };
  } finally {
    await deleteQueue(client, queueUrl);
  }
}

function percentOfCore(s: Summary): string {
  return `${fixed(s.median * 100, 1)} (${fixed(s.min * 100, 1)}-${fixed(s.max * 100, 1)})`;
}

function idleSection(settings: IdleSettings, f: IdleFigures): Section {
  return {
    title: "Idle cost",
    method: `A relay long-polling an empty queue (RELAY_WAIT_SECONDS=20) through a counting proxy on 127.0.0.1, watched for ${f.windowSeconds.toFixed(0)} s after it submitted ${WARMUP_EVENTS} jobs; beside it, a relay whose SQS endpoint is a closed port, watched for ${settings.downSeconds} s after ${START_UP_MS / 1000} s of start-up. Both are watched while the publish and latency benchmarks run, which leaves a sleeping process's own CPU time, memory and requests as they are. RSS (VmRSS) and CPU (utime + stime from /proc) sampled every ${SAMPLE_MS / 1000} s: median (min-max).`,
    header: ["measure", "value"],
    rows: [
      [
        "ReceiveMessage calls per idle hour",
        `${fixed(f.receivesPerHour)} (${f.receiveCalls} calls in ${fixed(f.windowSeconds)} s)`,
      ],
      ["other SQS calls while idle", String(f.otherCalls)],
      [
        "RSS of the idle relay, MB",
        `${fixed(f.rss.median, 1)} (${fixed(f.rss.min, 1)}-${fixed(f.rss.max, 1)})`,
      ],
      ["RSS of a bare `node` running a timer, MB", fixed(f.bareNodeRss, 1)],
      ["CPU of the idle relay, % of a core", percentOfCore(f.idleCpu)],
      ["CPU while SQS is unreachable, % of a core", percentOfCore(f.downCpu)],
      [
        "receive attempts while SQS is unreachable",
        `${f.downAttempts} in ${settings.downSeconds} s`,
      ],
    ],
    notes: [
      "The rate of receive calls is taken from their spacing ((n - 1) calls over the time from the first to the last), which a window a few polls long measures better than a count does. Without SQS the relay retries with jittered exponential back-off from 1 s up to 60 s, so the attempts thin out the longer the outage lasts.",
    ],
  };
}
