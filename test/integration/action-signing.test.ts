import type { SQSClient } from "@aws-sdk/client-sqs";

import { signatureMatches } from "../../protocol/signature.js";
import {
  annotations,
  drainQueue,
  localQueueInputs,
  runAction,
  stringAttributes,
  webhookExample,
} from "../support/action-runner.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

const push = {
  name: "push",
  payload: webhookExample("push", (p) => p.ref === "refs/heads/master"),
  ref: "refs/heads/master",
  sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
};
const secret = "correct horse battery staple";

describe("the action's message signature", () => {
  let client: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "action-signing");
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  it("signs the body with the signing secret so the relay can verify it", async () => {
    const run = await runAction(
      { ...localQueueInputs(queueUrl), "signing-secret": secret },
      push,
    );

    expect(run.code).toBe(0);
    const [message] = await drainQueue(client, queueUrl);
    const signature = stringAttributes(message ?? {}).SIGNATURE;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signatureMatches(message?.Body ?? "", signature, secret)).toBe(true);
    expect(signatureMatches(message?.Body ?? "", signature, "other")).toBe(
      false,
    );
    expect(run.summary).toContain("| Signed | yes |");
  });

  it("masks the secret before printing anything else", async () => {
    const run = await runAction(
      { ...localQueueInputs(queueUrl), "signing-secret": secret },
      push,
    );

    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe(`::add-mask::${secret}`);
    expect(run.stdout.split(secret)).toHaveLength(2);
    await drainQueue(client, queueUrl);
  });

  it("masks each line of a multi-line secret as well as the whole", async () => {
    const lines = ["first-line-of-the-secret", "second-line-of-the-secret"];
    const run = await runAction(
      {
        ...localQueueInputs(queueUrl),
        "signing-secret": lines.join("\n"),
      },
      push,
    );

    expect(run.code).toBe(0);
    expect(annotations(run.stdout, "add-mask")).toEqual([
      lines.join("\n"),
      ...lines,
    ]);
    for (const line of lines) {
      expect(run.stdout.split(line)).toHaveLength(3);
    }
    await drainQueue(client, queueUrl);
  });

  it("sends no signature without a secret", async () => {
    const run = await runAction(localQueueInputs(queueUrl), push);

    expect(run.code).toBe(0);
    const [message] = await drainQueue(client, queueUrl);
    expect(stringAttributes(message ?? {})).not.toHaveProperty("SIGNATURE");
    expect(annotations(run.stdout, "add-mask")).toEqual([]);
  });
});
