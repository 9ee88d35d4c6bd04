import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { queueDepth, sendJob, sendJobs } from "../support/publish.js";
import {
  installLingeringSubmitScript,
  relayEnv,
} from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import { jobsNamed } from "../support/slurm.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

describe("a relay asked to stop", () => {
  let client: SQSClient;

  beforeAll(() => {
    client = sqsClient();
  });

  afterAll(() => {
    client.destroy();
  });

  it("on SIGTERM finishes the work in hand, leaves the rest in the queue and exits 0", async () => {
    const queueUrl = await createQueue(client, "fault-sigterm");
    const jobName = `sigterm-${String(Date.now())}`;
    const dir = installLingeringSubmitScript(jobName, 3);
    await sendJobs(
      client,
      queueUrl,
      Array.from({ length: 5 }, () => ({})),
    );
    const relay = RelayProcess.start(
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(dir, "submit.sh"),
        RELAY_CONCURRENCY: "2",
        RELAY_SHUTDOWN_GRACE_SECONDS: "20",
      }),
    );

    await relay.waitForEvents("message_received", 2, 30_000);
    const signalled = Date.now();
    relay.signal("SIGTERM");
    const code = await relay.exited(30_000);
    const tookMs = Date.now() - signalled;
    const depth = await queueDepth(client, queueUrl);
    await deleteQueue(client, queueUrl);

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(20_000);
    expect(relay.events("message_deleted")).toHaveLength(2);
    expect(jobsNamed(jobName)).toHaveLength(2);
    expect(depth).toEqual({ visible: 3, inFlight: 0 });
    expect(relay.events("relay_stopped")).toMatchObject([
      { result: "drained" },
    ]);
  });

  it("on SIGINT releases at once a message its last long poll brings in, running nothing", async () => {
    const queueUrl = await createQueue(client, "fault-sigint");
    const jobName = `sigint-${String(Date.now())}`;
    const dir = installLingeringSubmitScript(jobName, 0);
    const relay = RelayProcess.start(
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(dir, "submit.sh"),
        // Long enough that the message sent after the signal reaches the
        // poll under way, which the relay lets finish.
        RELAY_WAIT_SECONDS: "10",
        RELAY_VISIBILITY_TIMEOUT_SECONDS: "600",
      }),
    );
    await relay.waitForEvents("relay_started", 1, 30_000);
    await sleep(1500);

    relay.signal("SIGINT");
    await sendJob(client, queueUrl);
    const code = await relay.exited(30_000);
    const depth = await queueDepth(client, queueUrl);
    await deleteQueue(client, queueUrl);

    expect(code).toBe(0);
    expect(relay.events("messages_released")).toMatchObject([{ messages: 1 }]);
    expect(relay.events("message_received")).toHaveLength(0);
    // Visible now, not hidden for the 600 s visibility timeout.
    expect(depth).toEqual({ visible: 1, inFlight: 0 });
    expect(jobsNamed(jobName)).toHaveLength(0);
  });

  it("exits at once with 130 on a second signal, leaving the message for redelivery", async () => {
    const queueUrl = await createQueue(client, "fault-second-signal");
    const jobName = `second-${String(Date.now())}`;
    const dir = installLingeringSubmitScript(jobName, 60);
    await sendJob(client, queueUrl);
    const relay = RelayProcess.start(
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(dir, "submit.sh"),
        RELAY_SHUTDOWN_GRACE_SECONDS: "60",
        RELAY_VISIBILITY_TIMEOUT_SECONDS: "600",
      }),
    );

    await relay.waitForEvents("message_received", 1, 30_000);
    relay.signal("SIGTERM");
    await relay.waitForEvents("relay_stopping", 1, 10_000);
    const signalled = Date.now();
    relay.signal("SIGINT");
    const code = await relay.exited(10_000);
    const tookMs = Date.now() - signalled;
    const depth = await queueDepth(client, queueUrl);
    await deleteQueue(client, queueUrl);

    expect(code).toBe(130);
    expect(tookMs).toBeLessThan(5000);
    expect(relay.events("relay_killed")).toMatchObject([{ signal: "SIGINT" }]);
    expect(relay.events("message_deleted")).toHaveLength(0);
    expect(depth.visible + depth.inFlight).toBe(1);
  });
});
