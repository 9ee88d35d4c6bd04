import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import {
  installJobFiles,
  installSubmitScript,
  relayEnv,
  runRelay,
} from "../support/relay-env.js";
import { newSha, queueDepth, readJobEnv, sendJob } from "../support/publish.js";
import { waitForJob } from "../support/slurm.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

describe("the relay running a script that calls sbatch", () => {
  const secret = "relay-script-test-signing-secret";
  let client: SQSClient;
  let queueUrl: string;
  let dir: string;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "relay-script");
    dir = installSubmitScript();
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  it("submits one job per message, passes the variables and deletes the message", async () => {
    const sha = newSha();
    const messageId = await sendJob(
      client,
      queueUrl,
      {
        sha,
        event: "push",
        ref: "refs/tags/v2.0.1",
        version: "2.0.1",
        attributes: { DATASET: "genomes", THREADS: "8" },
      },
      secret,
    );

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(dir, "submit.sh"),
        SIGNING_SECRET: secret,
      }),
    );

    expect(run.code).toBe(0);
    const submitted = run.logs.find((l) => l.event === "job_submitted");
    expect(submitted).toMatchObject({
      message_id: messageId,
      repository: "uva-bii/pipeline",
      sha,
    });
    const jobId = String(submitted?.job_id);
    await expect(waitForJob(jobId)).resolves.toBe("COMPLETED");

    const env = readJobEnv(join(dir, `env-${jobId}`));
    expect(env).toMatchObject({
      GIT_REPO: "uva-bii/pipeline",
      GIT_SHA: sha,
      GIT_REF: "refs/tags/v2.0.1",
      VERSION: "2.0.1",
      EVENT: "push",
      DATASET: "genomes",
      THREADS: "8",
      BII_MESSAGE_ID: messageId,
    });
    expect(readFileSync(join(dir, `arg1-${messageId}`), "utf8")).toBe("2.0.1");
    await expect(queueDepth(client, queueUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
    });
  });

  it("reads the job id after a script that prints more than the relay keeps", async () => {
    const chatty = installJobFiles({
      "submit.sh": `#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
head -c 2097152 /dev/zero | tr '\\0' x
echo
sbatch --job-name=relay-chatty --output=/dev/null --wrap true
`,
    });
    const messageId = await sendJob(client, queueUrl, {}, secret);

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(chatty, "submit.sh"),
        SIGNING_SECRET: secret,
      }),
    );

    expect(run.code).toBe(0);
    const submitted = run.logs.find((l) => l.event === "job_submitted");
    expect(submitted).toMatchObject({ message_id: messageId });
    await expect(waitForJob(String(submitted?.job_id))).resolves.toBe(
      "COMPLETED",
    );
    await expect(queueDepth(client, queueUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
    });
  });

  it("leaves the message in the queue when the script fails, logging its error", async () => {
    const messageId = await sendJob(client, queueUrl);

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, { RIVANNA_SCRIPT: join(dir, "missing.sh") }),
    );

    expect(run.code).toBe(0);
    const failed = run.logs.find((l) => l.event === "job_failed");
    expect(failed).toMatchObject({ message_id: messageId });
    expect(String(failed?.error)).toMatch(/missing\.sh: No such file/);
    const depth = await queueDepth(client, queueUrl);
    expect(depth.visible + depth.inFlight).toBe(1);
  });

  it("exits 1 from once, naming the queue, when the queue cannot be reached", async () => {
    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(dir, "submit.sh"),
        // Nothing listens on the discard port.
        AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:9",
      }),
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `bii-relay: could not receive from ${queueUrl}: `,
    );
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.logs.some((l) => l.event === "message_received")).toBe(false);
  });
});
