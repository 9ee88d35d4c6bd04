import type { SQSClient } from "@aws-sdk/client-sqs";

import {
  localQueueInputs,
  queueDepth,
  runAction,
  webhookExample,
} from "../support/action-runner.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

describe("the action's dry run", () => {
  let client: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "action-dry-run");
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  it("builds and shows the message, sends nothing and needs no credentials", async () => {
    const run = await runAction(
      {
        ...localQueueInputs(queueUrl),
        "dry-run": "true",
        "signing-secret": "s",
        attributes: "PARTITION=gpu",
      },
      {
        name: "release",
        payload: webhookExample("release", (p) => p.action === "published"),
        ref: "refs/tags/v0.0.1",
        sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      },
      { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined },
    );

    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.body ?? "")).toMatchObject({
      event: "release",
      version: "0.0.1",
      attributes: { PARTITION: "gpu" },
    });
    expect(run.stdout).toContain(`body: ${run.outputs.body ?? "missing"}`);
    expect(run.stdout).toContain(
      "message attributes: EVENT, REPOSITORY, SHA, REF, VERSION, PARTITION, SIGNATURE",
    );
    expect(run.outputs["message-id"]).toBeUndefined();
    expect(run.summary).toContain("dry run, nothing sent");
    expect(await queueDepth(client, queueUrl)).toBe(0);
  });
});
