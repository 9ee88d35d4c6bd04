import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { queueDepth, readJobEnv } from "../support/publish.js";
import {
  installSubmitScript,
  relayEnv,
  runRelay,
} from "../support/relay-env.js";
import { waitForJob } from "../support/slurm.js";
import {
  createQueue,
  deleteQueue,
  sqsClient,
  stack,
  testCredentials,
} from "../support/stack.js";

describe("a message sent the way the original Travis template sent it", () => {
  let client: SQSClient;

  beforeAll(() => {
    client = sqsClient();
  });

  afterAll(() => {
    client.destroy();
  });

  it("is processed, with a lower-case attribute name feeding VERSION", async () => {
    const queueUrl = await createQueue(client, "relay-legacy");
    // A release no earlier run sent: the ledger on the cluster outlives runs.
    const version = `v0.9.${String(Date.now())}`;
    const dir = installSubmitScript();
    execFileSync(
      "aws",
      [
        "sqs",
        "send-message",
        "--endpoint-url",
        stack().sqsEndpoint,
        "--queue-url",
        queueUrl,
        "--message-body",
        "release",
        "--message-attributes",
        `version={DataType=String,StringValue=${version}}`,
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
          AWS_DEFAULT_REGION: stack().region,
        },
      },
    );

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(dir, "submit.sh"),
        GIT_REPO: "uva-bii/legacy-tool",
      }),
    );
    await expect(queueDepth(client, queueUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
    });
    await deleteQueue(client, queueUrl);

    const submitted = run.logs.find((l) => l.event === "job_submitted");
    const jobId = String(submitted?.job_id);
    await expect(waitForJob(jobId)).resolves.toBe("COMPLETED");
    expect(readJobEnv(join(dir, `env-${jobId}`))).toMatchObject({
      GIT_REPO: "uva-bii/legacy-tool",
      VERSION: version,
      EVENT: "release",
    });
    const messageId = String(submitted?.message_id);
    expect(readFileSync(join(dir, `arg1-${messageId}`), "utf8")).toBe(version);
  });
});
