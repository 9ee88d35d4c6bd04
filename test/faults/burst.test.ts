import type { SQSClient } from "@aws-sdk/client-sqs";

import { countedJobs, waitForEmptyQueue } from "../support/burst.js";
import { newSha, sendJobs } from "../support/publish.js";
import { relayEnv } from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

const EVENTS = 1000;
const RESENT = 100;

describe("a burst of events through two relays on one queue", () => {
  let client: SQSClient;
  let queueUrl: string;
  const relays: RelayProcess[] = [];

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "fault-burst");
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  it("submits exactly one SLURM job per event, even for events sent twice", async () => {
    const jobs = countedJobs();
    const events = Array.from({ length: EVENTS }, () => ({ sha: newSha() }));
    // The same events again: a workflow re-run, or a publish retried.
    const resent = events.slice(0, RESENT);
    await sendJobs(client, queueUrl, [...events, ...resent]);

    const env = relayEnv(queueUrl, {
      ROUTES_FILE: jobs.routesFile,
      RELAY_CONCURRENCY: "8",
    });
    relays.push(RelayProcess.start(env), RelayProcess.start(env));
    await waitForEmptyQueue(client, queueUrl, 240_000);
    await Promise.all(relays.map((r) => r.stop()));

    expect(jobs.count()).toBe(EVENTS);
    const submitted = relays.map((r) => r.events("job_submitted"));
    const ids = submitted.flat().map((l) => String(l.job_id));
    expect(ids).toHaveLength(EVENTS);
    expect(new Set(ids).size).toBe(EVENTS);
    // Both relays took part; neither did all the work.
    expect(submitted[0]?.length).toBeGreaterThan(0);
    expect(submitted[1]?.length).toBeGreaterThan(0);
    const answered = relays.flatMap((r) => r.events("duplicate_event"));
    expect(answered.length).toBeGreaterThanOrEqual(RESENT);
  }, 300_000);
});
