import { writeFileSync } from "node:fs";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { queueDepth, readJobEnv, sendJob } from "../support/publish.js";
import { installJobFiles, relayEnv, runRelay } from "../support/relay-env.js";
import { waitForJob } from "../support/slurm.js";
import {
  createQueue,
  deleteQueue,
  sqsClient,
  stack,
} from "../support/stack.js";

describe("the relay submitting with sbatch itself (a routes file)", () => {
  let client: SQSClient;
  let dir: string;

  beforeAll(() => {
    client = sqsClient();
    dir = installJobFiles({
      "job.slurm": '#!/bin/bash\nenv -0 > "env-$SLURM_JOB_ID"\n',
    });
  });

  afterAll(() => {
    client.destroy();
  });

  function routesFile(partition: string): string {
    const file = join(dir, `routes-${partition}.yaml`);
    writeFileSync(
      file,
      `routes:
  - name: releases
    repository: uva-bii/*
    events: [release]
    user: ${stack().sshUser}
    sbatch:
      script: ${join(dir, "job.slurm")}
      job-name: bii-release
      partition: ${partition}
      time: "00:05:00"
`,
    );
    return file;
  }

  it("runs sbatch --parsable for a release and the job sees the message's variables", async () => {
    const queueUrl = await createQueue(client, "relay-sbatch");
    const messageId = await sendJob(client, queueUrl, {
      event: "release",
      ref: "refs/tags/v3.1.4",
      version: "3.1.4",
      attributes: { MODEL: "large" },
    });

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, { ROUTES_FILE: routesFile(stack().partition) }),
    );
    await expect(queueDepth(client, queueUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
    });
    await deleteQueue(client, queueUrl);

    const submitted = run.logs.find((l) => l.event === "job_submitted");
    expect(submitted).toMatchObject({
      message_id: messageId,
      route: "releases",
    });
    const jobId = String(submitted?.job_id);
    await expect(waitForJob(jobId)).resolves.toBe("COMPLETED");
    expect(readJobEnv(join(stack().userHome, `env-${jobId}`))).toMatchObject({
      SLURM_JOB_NAME: "bii-release",
      VERSION: "3.1.4",
      EVENT: "release",
      GIT_REF: "refs/tags/v3.1.4",
      MODEL: "large",
    });
  });

  it("keeps the message for a retry when sbatch refuses the job, logging sbatch's error", async () => {
    const queueUrl = await createQueue(client, "relay-sbatch-bad");
    await sendJob(client, queueUrl, { event: "release", version: "1.0.0" });

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, { ROUTES_FILE: routesFile("nosuchpartition") }),
    );
    const depth = await queueDepth(client, queueUrl);
    await deleteQueue(client, queueUrl);

    const failed = run.logs.find((l) => l.event === "job_failed");
    expect(String(failed?.error)).toMatch(/Invalid partition name specified/);
    expect(run.logs.find((l) => l.event === "retry_scheduled")).toBeDefined();
    expect(depth.visible + depth.inFlight).toBe(1);
    expect(run.logs.find((l) => l.event === "job_submitted")).toBeUndefined();
  });
});
