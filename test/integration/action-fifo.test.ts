import type { SQSClient } from "@aws-sdk/client-sqs";

import { eventKey } from "../../protocol/event-key.js";
import {
  drainQueue,
  localQueueInputs,
  runAction,
  webhookExample,
} from "../support/action-runner.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

const SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const release = {
  name: "release",
  payload: webhookExample("release", (p) => p.action === "published"),
  ref: "refs/tags/0.0.1",
  sha: SHA,
};

describe("the action publishing to a FIFO queue", () => {
  let client: SQSClient;

  beforeAll(() => {
    client = sqsClient();
  });

  afterAll(() => {
    client.destroy();
  });

  async function withQueue(test: (queueUrl: string) => Promise<void>) {
    const queueUrl = await createQueue(client, "action-fifo.fifo");
    try {
      await test(queueUrl);
    } finally {
      await deleteQueue(client, queueUrl);
    }
  }

  it("groups by repository and deduplicates by the event key", async () => {
    await withQueue(async (queueUrl) => {
      const run = await runAction(localQueueInputs(queueUrl), release);

      expect(run.code).toBe(0);
      const [message] = await drainQueue(client, queueUrl);
      expect(message?.Attributes).toMatchObject({
        MessageGroupId: "Codertocat/Hello-World",
        MessageDeduplicationId: eventKey({
          repository: "Codertocat/Hello-World",
          event: "release",
          sha: SHA,
          ref: "refs/tags/0.0.1",
          version: "0.0.1",
        }),
      });
      expect(run.outputs["sequence-number"]).toMatch(/^\d+$/);
      expect(run.outputs["sequence-number"]).toBe(
        message?.Attributes?.SequenceNumber,
      );
    });
  });

  it("delivers a re-run of the same event once", async () => {
    await withQueue(async (queueUrl) => {
      const first = await runAction(localQueueInputs(queueUrl), release);
      const second = await runAction(localQueueInputs(queueUrl), release);

      expect([first.code, second.code]).toEqual([0, 0]);
      expect(second.outputs["message-id"]).toBe(first.outputs["message-id"]);
      expect(await drainQueue(client, queueUrl)).toHaveLength(1);
    });
  });

  it("uses the message group and deduplication ids given as inputs", async () => {
    await withQueue(async (queueUrl) => {
      const run = await runAction(
        {
          ...localQueueInputs(queueUrl),
          "message-group-id": "cluster-a",
          "deduplication-id": "release-0.0.1-try-2",
        },
        release,
      );

      expect(run.code).toBe(0);
      const [message] = await drainQueue(client, queueUrl);
      expect(message?.Attributes).toMatchObject({
        MessageGroupId: "cluster-a",
        MessageDeduplicationId: "release-0.0.1-try-2",
      });
    });
  });
});
