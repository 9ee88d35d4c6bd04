import { join } from "node:path";

import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

import { jobMessage } from "../support/messages.js";
import { newSha, sendJob } from "../support/publish.js";
import { installSubmitScript, relayEnv } from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

describe("malformed messages", () => {
  let client: SQSClient;
  let queueUrl: string;
  let relay: RelayProcess;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "relay-malformed");
    relay = RelayProcess.start(
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(installSubmitScript(), "submit.sh"),
      }),
    );
  });

  afterAll(async () => {
    await relay.stop();
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  const send = (body: string) =>
    client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }),
    );

  it.each([
    ["not JSON where JSON is claimed", "{ this is not json", /not valid JSON/],
    [
      "missing fields",
      JSON.stringify({ contract: 1, event: "push" }),
      /repository undefined is not valid/,
    ],
    [
      "fields of the wrong type",
      JSON.stringify({
        ...jobMessage({ sha: newSha() }),
        sha: 42,
        attributes: "x",
      }),
      /sha 42 is not valid.*attributes "x" is not valid/,
    ],
    [
      "a huge body",
      JSON.stringify({
        ...jobMessage({ sha: newSha() }),
        version: "9".repeat(200_000),
      }),
      /version "9+\.\.\. is not valid \(expected a string of at most 256/,
    ],
  ])(
    "refuses %s with an error naming the problem, and keeps running",
    async (_, body, problem) => {
      const before = relay.events("message_refused").length;
      const sent = await send(body);

      const refusals = await relay.waitForEvents("message_refused", before + 1);

      expect(refusals.at(-1)).toMatchObject({
        message_id: sent.MessageId,
        reason: "malformed",
        level: "error",
      });
      expect(String(refusals.at(-1)?.detail)).toMatch(problem);
    },
  );

  it("still submits a valid message afterwards, and submitted nothing before", async () => {
    expect(relay.events("job_submitted")).toHaveLength(0);

    const messageId = await sendJob(client, queueUrl);

    const [submitted] = await relay.waitForEvents("job_submitted");
    expect(submitted).toMatchObject({ message_id: messageId });
  });
});
