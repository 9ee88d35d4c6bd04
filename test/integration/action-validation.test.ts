import type { SQSClient } from "@aws-sdk/client-sqs";

import {
  localQueueInputs,
  queueDepth,
  runAction,
  webhookExample,
} from "../support/action-runner.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

const push = {
  name: "push",
  payload: webhookExample("push", (p) => p.ref === "refs/heads/master"),
  ref: "refs/heads/master",
  sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
};

describe("the action refusing inputs it cannot send", () => {
  let client: SQSClient;
  let standardUrl: string;
  let fifoUrl: string;

  beforeAll(async () => {
    client = sqsClient();
    standardUrl = await createQueue(client, "action-validation");
    fifoUrl = await createQueue(client, "action-validation.fifo");
  });

  afterAll(async () => {
    await deleteQueue(client, standardUrl);
    await deleteQueue(client, fifoUrl);
    client.destroy();
  });

  /** Runs the action, expects a failed step with `error`, and no message. */
  async function expectRefused(
    inputs: (urls: {
      standard: string;
      fifo: string;
    }) => Record<string, string>,
    error: string,
  ): Promise<void> {
    const urls = { standard: standardUrl, fifo: fifoUrl };

    const run = await runAction(inputs(urls), push);

    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(error);
    expect(run.outputs).toEqual({});
    expect(await queueDepth(client, standardUrl)).toBe(0);
    expect(await queueDepth(client, fifoUrl)).toBe(0);
  }

  it("refuses a queue URL that is not one, quoting it and the expected forms", async () => {
    await expectRefused(
      () => ({ "queue-url": "htp://sqs.us-east-1.amazonaws.com/123/q" }),
      "queue-url: queue URL 'htp://sqs.us-east-1.amazonaws.com/123/q' is not an SQS queue URL: the scheme 'htp:' is not http or https (expected https://sqs.REGION.amazonaws.com/ACCOUNT/NAME",
    );
  });

  it("refuses a missing queue URL", async () => {
    await expectRefused(() => ({}), "queue-url: is required");
  });

  it("refuses an attribute name SQS or the job's shell cannot take", async () => {
    await expectRefused(
      ({ standard }) => ({
        ...localQueueInputs(standard),
        attributes: "PARTITION=gpu\n9LIVES=x",
      }),
      "attributes: name '9LIVES' is not allowed: expected a letter or underscore",
    );
  });

  it("refuses an attribute name the relay reserves", async () => {
    await expectRefused(
      ({ standard }) => ({
        ...localQueueInputs(standard),
        attributes: "LD_PRELOAD: /tmp/x.so",
      }),
      "attributes: name 'LD_PRELOAD' is not allowed: names starting with 'LD_' are reserved",
    );
  });

  it("refuses more message attributes than SQS allows, naming them", async () => {
    const seven = ["A", "B", "C", "D", "E", "F", "G"].map((n) => `${n}=1`);
    await expectRefused(
      ({ standard }) => ({
        ...localQueueInputs(standard),
        attributes: seven.join("\n"),
      }),
      "attributes: the message would carry 11 message attributes (EVENT, REPOSITORY, SHA, REF, A, B, C, D, E, F, G); SQS allows at most 10",
    );
  });

  it("refuses a message group id for a standard queue", async () => {
    await expectRefused(
      ({ standard }) => ({
        ...localQueueInputs(standard),
        "message-group-id": "cluster-a",
      }),
      "message-group-id: applies to FIFO queues only",
    );
  });

  it("refuses a deduplication id for a standard queue", async () => {
    await expectRefused(
      ({ standard }) => ({
        ...localQueueInputs(standard),
        "deduplication-id": "d-1",
      }),
      "deduplication-id: applies to FIFO queues only",
    );
  });

  it("refuses a per-message delay for a FIFO queue", async () => {
    await expectRefused(
      ({ fifo }) => ({ ...localQueueInputs(fifo), "delay-seconds": "30" }),
      "delay-seconds: applies to standard queues only",
    );
  });

  it("refuses a delay beyond SQS's 15 minutes", async () => {
    await expectRefused(
      ({ standard }) => ({
        ...localQueueInputs(standard),
        "delay-seconds": "901",
      }),
      "delay-seconds: '901' is not valid (expected a whole number of seconds from 0 to 900)",
    );
  });

  it("refuses a version the relay would refuse", async () => {
    await expectRefused(
      ({ standard }) => ({
        ...localQueueInputs(standard),
        version: "x".repeat(300),
      }),
      "message: the relay would refuse it: message body does not follow the contract: version",
    );
  });

  it("refuses a dry-run value that is not a boolean", async () => {
    await expectRefused(
      ({ standard }) => ({ ...localQueueInputs(standard), "dry-run": "yes" }),
      "dry-run: 'yes' is not a boolean (expected true or false)",
    );
  });
});
