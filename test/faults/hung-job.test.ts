import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { waitForEmptyQueue } from "../support/burst.js";
import { queueDepth, sendJob } from "../support/publish.js";
import { installJobFiles, relayEnv, runRelay } from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import { processAlive, waitFor } from "../support/sshd.js";
import {
  createQueueWithDeadLetter,
  deleteQueue,
  sqsClient,
} from "../support/stack.js";

describe("a job script that hangs", () => {
  let client: SQSClient;
  let queueUrl: string;
  let deadLetterUrl: string;

  beforeAll(async () => {
    client = sqsClient();
    ({ queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(
      client,
      "fault-hung",
      1,
    ));
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    await deleteQueue(client, deadLetterUrl);
    client.destroy();
  });

  it("is stopped on the cluster at the deadline, and its message dead-lettered, then moved back by redrive", async () => {
    const dir = installJobFiles({
      "submit.sh":
        '#!/bin/bash\necho $$ > "$(dirname "$0")/pid"\nexec sleep 300\n',
    });
    const messageId = await sendJob(client, queueUrl);
    const env = relayEnv(queueUrl, {
      RIVANNA_SCRIPT: join(dir, "submit.sh"),
      RELAY_JOB_TIMEOUT_SECONDS: "2",
    });

    const relay = RelayProcess.start(env);
    const [failed] = await relay.waitForEvents("job_failed", 1, 30_000);
    const [last] = await relay.waitForEvents("message_dead_lettered", 1);
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    await waitFor(
      () => !processAlive(pid),
      "the hung script to be gone",
      15_000,
    );
    await waitForEmptyQueue(client, queueUrl, 30_000);
    await relay.stop();
    const parked = await queueDepth(client, deadLetterUrl);

    expect(failed).toMatchObject({ message_id: messageId });
    expect(String(failed?.error)).toMatch(/^exit code 124/);
    expect(last).toMatchObject({ message_id: messageId, attempt: 1 });
    expect(relay.events("job_submitted")).toHaveLength(0);
    expect(parked.visible).toBe(1);

    const redrive = await runRelay(["redrive"], env);
    expect(redrive.code).toBe(0);
    expect(redrive.logs.find((l) => l.event === "redriven")).toMatchObject({
      messages: 1,
    });
    await expect(queueDepth(client, deadLetterUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
    });
    await expect(queueDepth(client, queueUrl)).resolves.toEqual({
      visible: 1,
      inFlight: 0,
    });
  });
});
