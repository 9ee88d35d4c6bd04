import type { SQSClient } from "@aws-sdk/client-sqs";
import { setTimeout as sleep } from "node:timers/promises";

import { countedJobs, waitForEmptyQueue } from "../support/burst.js";
import {
  freezeSqs,
  startSlurmctld,
  stopSlurmctld,
} from "../support/daemons.js";
import { cpuShare } from "../support/process-cpu.js";
import { sendJobs } from "../support/publish.js";
import { relayEnv } from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import { TestSshd } from "../support/sshd.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

// A waiting relay must be near idle; a busy loop would use a whole core.
const IDLE_CPU_SHARE = 0.1;

describe("a relay through cluster and queue outages", () => {
  let client: SQSClient;
  let queueUrl: string;
  let sshd: TestSshd;
  let relay: RelayProcess;
  let jobs: ReturnType<typeof countedJobs>;
  let sent = 0;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "fault-outages");
    sshd = await TestSshd.start("outages");
    jobs = countedJobs(sshd.port);
    relay = RelayProcess.start(
      relayEnv(queueUrl, {
        ROUTES_FILE: jobs.routesFile,
        SSH_KNOWN_HOSTS: sshd.knownHostsPath,
        RELAY_CONCURRENCY: "4",
        RELAY_VISIBILITY_TIMEOUT_SECONDS: "30",
      }),
    );
  });

  afterAll(async () => {
    freezeSqs(false);
    await startSlurmctld().catch(() => undefined);
    await relay.stop();
    await sshd.stop();
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  // With messages in hand the relay may be deleting, not receiving, when the
  // queue freezes; any of its SQS calls failing shows it noticed.
  function sqsFailures(): number {
    return ["receive_failed", "delete_failed", "visibility_extend_failed"]
      .map((event) => relay.events(event).length)
      .reduce((a, b) => a + b, 0);
  }

  async function send(count: number): Promise<void> {
    await sendJobs(
      client,
      queueUrl,
      Array.from({ length: count }, () => ({})),
    );
    sent += count;
  }

  it("waits out sshd going away mid-burst, then submits the rest, each once", async () => {
    await send(150);
    await relay.waitForEvents("job_submitted", 30, 60_000);

    await sshd.pause();
    sshd.dropConnections();
    await relay.waitForEvents("cluster_unavailable", 1, 30_000);
    const share = await cpuShare(relay.pid, 5000);
    await sshd.resume();
    await waitForEmptyQueue(client, queueUrl, 120_000);

    expect(share).toBeLessThan(IDLE_CPU_SHARE);
    expect(jobs.count()).toBe(sent);
    expect(relay.events("cluster_available").length).toBeGreaterThan(0);
  }, 180_000);

  it("waits out slurmctld going away, then submits what arrived meanwhile", async () => {
    await stopSlurmctld();
    await send(20);
    await relay.waitForEvents("cluster_unavailable", 2, 30_000);
    const share = await cpuShare(relay.pid, 5000);
    await startSlurmctld();
    await waitForEmptyQueue(client, queueUrl, 120_000);

    expect(share).toBeLessThan(IDLE_CPU_SHARE);
    expect(jobs.count()).toBe(sent);
  }, 180_000);

  it("waits out a queue server frozen mid-burst, then finishes the work, each event once", async () => {
    const failuresBefore = sqsFailures();
    const submittedBefore = relay.events("job_submitted").length;
    await send(60);
    // Frozen while messages are in hand: their deletes and heartbeats fail,
    // they come back, and the ledger must turn each return into no job.
    await relay.waitForEvents("job_submitted", submittedBefore + 10, 60_000);
    freezeSqs(true);
    // Past one long poll (1 s here) and the call timeout (10 s).
    await sleep(13_000);
    const share = await cpuShare(relay.pid, 3000);
    freezeSqs(false);
    await send(20);
    await waitForEmptyQueue(client, queueUrl, 120_000);

    expect(sqsFailures()).toBeGreaterThan(failuresBefore);
    expect(share).toBeLessThan(IDLE_CPU_SHARE);
    expect(jobs.count()).toBe(sent);
  }, 180_000);
});
