/**
 * Shared parts of the fault tests: a routes file whose sbatch jobs carry a
 * name of the test's own, so SLURM itself can count them, and waits on the
 * queue.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { queueDepth } from "./publish.js";
import { installJobFiles } from "./relay-env.js";
import { jobsNamed } from "./slurm.js";
import { stack } from "./stack.js";

/** A job name no earlier run used, and a routes file that submits it. */
export interface CountedJobs {
  jobName: string;
  routesFile: string;
  /** How many jobs SLURM has with this name, each id once. */
  count: () => number;
}

/** Sets up sbatch-mode routing to `port` with a job name of its own. */
export function countedJobs(port = stack().sshPort): CountedJobs {
  const jobName = `fault-${randomUUID().slice(0, 8)}`;
  const dir = installJobFiles({ "job.slurm": "#!/bin/bash\ntrue\n" });
  const routesFile = join(dir, "routes.yaml");
  writeFileSync(
    routesFile,
    `routes:
  - repository: uva-bii/*
    port: ${String(port)}
    sbatch:
      script: ${join(dir, "job.slurm")}
      job-name: ${jobName}
      partition: ${stack().partition}
`,
  );
  return {
    jobName,
    routesFile,
    count: () => new Set(jobsNamed(jobName)).size,
  };
}

/** Waits until the queue holds nothing, visible or in flight. */
export async function waitForEmptyQueue(
  client: SQSClient,
  queueUrl: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let depth = await queueDepth(client, queueUrl);
  while (depth.visible + depth.inFlight > 0) {
    if (Date.now() > deadline) {
      throw new Error(
        `the queue still held ${depth.visible} visible and ${depth.inFlight} in-flight messages after ${timeoutMs} ms`,
      );
    }
    await sleep(250);
    depth = await queueDepth(client, queueUrl);
  }
}
