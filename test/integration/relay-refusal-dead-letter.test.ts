import { join } from "node:path";

import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

import { queueDepth, sendJob } from "../support/publish.js";
import {
  installSubmitScript,
  relayEnv,
  runRelay,
} from "../support/relay-env.js";
import {
  createQueueWithDeadLetter,
  deleteQueue,
  sqsClient,
} from "../support/stack.js";

describe("a refused message on a queue with a dead-letter queue", () => {
  const secret = "the-real-signing-secret-0002";
  let client: SQSClient;
  let queueUrl: string;
  let deadLetterUrl: string;

  beforeAll(async () => {
    client = sqsClient();
    // A high receive limit: only the relay's own copy can put a message
    // in the dead-letter queue within this test.
    ({ queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(
      client,
      "relay-refused",
      50,
    ));
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    await deleteQueue(client, deadLetterUrl);
    client.destroy();
  });

  it("is copied there with its reason and body, then deleted from the queue", async () => {
    const unsigned = await sendJob(client, queueUrl);
    const foreign = await sendJob(
      client,
      queueUrl,
      { repository: "someone/else" },
      secret,
    );

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(installSubmitScript(), "submit.sh"),
        SIGNING_SECRET: secret,
        RELAY_CONCURRENCY: "2",
      }),
    );

    expect(run.code).toBe(0);
    const refused = run.logs.filter((l) => l.event === "message_refused");
    expect(refused.map((l) => l.message_id).sort()).toEqual(
      [unsigned, foreign].sort(),
    );
    expect(run.logs.some((l) => l.event === "job_submitted")).toBe(false);
    await expect(queueDepth(client, queueUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
    });

    const parked = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 1,
      }),
    );
    const reasons = (parked.Messages ?? []).map((m) => ({
      reason: m.MessageAttributes?.REFUSED_REASON?.StringValue,
      repository: (JSON.parse(m.Body ?? "{}") as { repository?: string })
        .repository,
      signed: m.MessageAttributes?.SIGNATURE !== undefined,
    }));
    expect(reasons).toHaveLength(2);
    expect(reasons).toEqual(
      expect.arrayContaining([
        { reason: "unsigned", repository: "uva-bii/pipeline", signed: false },
        { reason: "not_allowed", repository: "someone/else", signed: true },
      ]),
    );
  });
});
