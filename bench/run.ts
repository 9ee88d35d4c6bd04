/**
 * The benchmarks' entry point: `npm run bench [-- NAME...]` builds, brings
 * the local stack up if needed, runs the named benchmarks (all by default:
 * publish, latency, burst, idle), prints the results and writes them with
 * a description of the machine to bench/results/NAME.md.
 *
 * BENCH_ROUNDS, BENCH_EVENTS, BENCH_ORIGINAL_RUNS, BENCH_BURST_EVENTS,
 * BENCH_BURST_RUNS, BENCH_BURST_CONCURRENCY, BENCH_IDLE_SECONDS and
 * BENCH_DOWN_SECONDS scale the runs (see bench/settings.ts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { repoRoot, sqsClient } from "../test/support/stack.js";
import { benchBurst } from "./burst.js";
import { benchIdle } from "./idle.js";
import { benchLatency } from "./latency.js";
import { describeMachine, machineStart } from "./machine.js";
import { benchPublish } from "./publish.js";
import { renderReport, type Section } from "./report.js";
import { BENCHMARKS, readSettings, type BenchSettings } from "./settings.js";
import { ensureStack, stopStack } from "./stack-control.js";
import { targetsSection, type Figures } from "./targets.js";

function say(name: string): void {
  process.stderr.write(`bench: ${name}\n`);
}

// The idle relays do next to nothing, so they are watched while publish
// and latency run: that leaves their own CPU time, memory and requests as
// they are, and saves minutes. The burst, which loads the machine, waits.
async function runBenchmarks(
  client: SQSClient,
  settings: BenchSettings,
): Promise<{ sections: Section[]; figures: Figures }> {
  const chosen = new Set(settings.benchmarks);
  const sections: Section[] = [];
  const figures: Figures = {};

  const idle = chosen.has("idle") ? benchIdle(client, settings) : undefined;
  // Settled here too, so a failure elsewhere leaves no unhandled rejection.
  idle?.catch(() => undefined);
  if (idle !== undefined) {
    say("idle (in the background)");
  }
  if (chosen.has("publish")) {
    say("publish");
    const publish = await benchPublish(client, {
      rounds: settings.publishRounds,
    });
    sections.push(publish.section);
  }
  if (chosen.has("latency")) {
    say("latency");
    const latency = await benchLatency(client, {
      events: settings.latencyEvents,
      originalRuns: settings.originalRuns,
    });
    sections.push(latency.section);
    figures.latency = latency.figures;
  }
  const idleResult = await idle;
  if (chosen.has("burst")) {
    say("burst");
    const burst = await benchBurst(client, {
      events: settings.burstEvents,
      runs: settings.burstRuns,
      concurrency: settings.burstConcurrency,
    });
    sections.push(burst.section);
    figures.burst = burst.figures;
  }
  if (idleResult !== undefined) {
    sections.push(idleResult.section);
    figures.idle = idleResult.figures;
  }
  return { sections, figures };
}

function resultsName(settings: BenchSettings): string {
  return settings.benchmarks.length === BENCHMARKS.length
    ? "benchmarks"
    : settings.benchmarks.join("-");
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2), process.env);
  const startedStack = ensureStack();
  const client = sqsClient();
  const start = machineStart();

  try {
    const { sections, figures } = await runBenchmarks(client, settings);
    const markdown = await renderReport({
      title: "bii-relay benchmarks",
      machine: describeMachine(start),
      targets: targetsSection(figures),
      sections,
    });
    const file = join(
      repoRoot,
      "bench",
      "results",
      `${resultsName(settings)}.md`,
    );
    writeFileSync(file, markdown);
    process.stdout.write(`${markdown}\nbench: written to ${file}\n`);
  } finally {
    client.destroy();
    if (startedStack) {
      stopStack();
    }
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
}
