import type { Message, SQSClient } from "@aws-sdk/client-sqs";

import type { JobMessage } from "../../protocol/message.js";
import {
  annotations,
  drainQueue,
  localQueueInputs,
  runAction,
  stringAttributes,
  webhookExample,
} from "../support/action-runner.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

const SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

describe("the action publishing to a standard queue", () => {
  let client: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "action-publish");
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  async function onlyMessage(): Promise<[Message, JobMessage]> {
    const messages = await drainQueue(client, queueUrl);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    if (message?.Body === undefined) {
      throw new Error("the queue returned a message without a body");
    }
    return [message, JSON.parse(message.Body) as JobMessage];
  }

  it("sends a branch push with an empty version and no VERSION attribute", async () => {
    const payload = webhookExample(
      "push",
      (p) => p.ref === "refs/heads/master",
    );

    const run = await runAction(localQueueInputs(queueUrl), {
      name: "push",
      payload,
      ref: "refs/heads/master",
      sha: SHA,
    });

    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const [message, body] = await onlyMessage();
    expect(body).toMatchObject({
      contract: 1,
      event: "push",
      repository: "Codertocat/Hello-World",
      sha: SHA,
      ref: "refs/heads/master",
      version: "",
      actor: "Codertocat",
      runId: "1658821493",
      runUrl:
        "https://github.com/Codertocat/Hello-World/actions/runs/1658821493",
      attributes: {},
    });
    expect(stringAttributes(message)).toEqual({
      EVENT: "push",
      REPOSITORY: "Codertocat/Hello-World",
      SHA,
      REF: "refs/heads/master",
    });
    expect(run.outputs["message-id"]).toBe(message.MessageId);
    expect(run.outputs.body).toBe(message.Body);
    expect(run.outputs["sequence-number"]).toBe("");
  });

  it("takes the version from a pushed tag, dropping its leading v", async () => {
    const payload = webhookExample("push", (p) => p.deleted === false);

    const run = await runAction(localQueueInputs(queueUrl), {
      name: "push",
      payload: { ...payload, ref: "refs/tags/v1.2.3" },
      ref: "refs/tags/v1.2.3",
      sha: SHA,
    });

    expect(run.code).toBe(0);
    const [message, body] = await onlyMessage();
    expect(body.version).toBe("1.2.3");
    expect(stringAttributes(message)).toMatchObject({
      VERSION: "1.2.3",
      REF: "refs/tags/v1.2.3",
    });
    expect(run.outputs.version).toBe("1.2.3");
  });

  it("takes the version from a published release's tag", async () => {
    const payload = webhookExample("release", (p) => p.action === "published");
    const release = payload.release as { tag_name: string };

    const run = await runAction(localQueueInputs(queueUrl), {
      name: "release",
      payload,
      ref: `refs/tags/${release.tag_name}`,
      sha: SHA,
    });

    expect(run.code).toBe(0);
    const [message, body] = await onlyMessage();
    expect(body).toMatchObject({ event: "release", version: "0.0.1" });
    expect(stringAttributes(message)).toMatchObject({
      EVENT: "release",
      VERSION: "0.0.1",
    });
  });

  it("sends a workflow_dispatch run with the version and attributes given as inputs", async () => {
    const payload = webhookExample("workflow_dispatch");

    const run = await runAction(
      {
        ...localQueueInputs(queueUrl),
        version: "2026.01-rc1",
        attributes: "PARTITION: gpu\nTAG: 1.10\n",
      },
      {
        name: "workflow_dispatch",
        payload,
        ref: "refs/heads/main",
        sha: SHA,
        repository: "octo-org/octo-repo",
      },
    );

    expect(run.code).toBe(0);
    const [message, body] = await onlyMessage();
    expect(body).toMatchObject({
      event: "workflow_dispatch",
      repository: "octo-org/octo-repo",
      version: "2026.01-rc1",
      attributes: { PARTITION: "gpu", TAG: "1.10" },
    });
    expect(stringAttributes(message)).toMatchObject({
      VERSION: "2026.01-rc1",
      PARTITION: "gpu",
      TAG: "1.10",
    });
  });

  it("reports the message id in a notice and the job summary", async () => {
    const run = await runAction(
      { ...localQueueInputs(queueUrl), attributes: "PARTITION=gpu" },
      {
        name: "push",
        payload: webhookExample("push"),
        ref: "refs/tags/v3.0.0",
        sha: SHA,
      },
    );

    expect(run.code).toBe(0);
    const [message] = await onlyMessage();
    const id = message.MessageId ?? "missing";
    expect(annotations(run.stdout, "notice")).toEqual([
      `Sent push of Codertocat/Hello-World VERSION=3.0.0 as message ${id}`,
    ]);
    expect(run.summary).toContain(`| Message id | \`${id}\` |`);
    expect(run.summary).toContain("| Version | `3.0.0` |");
    expect(run.summary).toContain("| Attributes | `PARTITION` |");
    expect(run.summary).toContain("| Signed | no |");
  });

  it("sends nothing for a push that deleted its ref, and says so", async () => {
    const payload = webhookExample("push", (p) => p.deleted === true);

    const run = await runAction(localQueueInputs(queueUrl), {
      name: "push",
      payload,
      ref: "refs/tags/simple-tag",
      sha: "0000000000000000000000000000000000000000",
    });

    expect(run.code).toBe(0);
    expect(annotations(run.stdout, "notice")).toEqual([
      "Nothing sent: this push deleted refs/tags/simple-tag.",
    ]);
    expect(await drainQueue(client, queueUrl)).toEqual([]);
  });
});
