import { join } from "node:path";

import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

import { encodeMessage } from "../../protocol/encode.js";
import { jobMessage } from "../support/messages.js";
import { queueDepth, sendJob } from "../support/publish.js";
import {
  installSubmitScript,
  relayEnv,
  runRelay,
} from "../support/relay-env.js";
import { TestSshd } from "../support/sshd.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

describe("messages the relay refuses", () => {
  const secret = "the-real-signing-secret-0001";
  let client: SQSClient;
  let sshd: TestSshd;
  let script: string;

  beforeAll(async () => {
    client = sqsClient();
    sshd = await TestSshd.start("refusals");
    script = join(installSubmitScript(), "submit.sh");
  });

  afterAll(async () => {
    await sshd.stop();
    client.destroy();
  });

  async function refusedBy(
    send: (queueUrl: string) => Promise<unknown>,
    settings: Record<string, string> = {},
  ): Promise<Record<string, unknown> | undefined> {
    const queueUrl = await createQueue(client, "relay-refusals");
    // TestSshd's own readiness probe is logged as a connection; only what
    // comes after counts.
    const logged = sshd.log().length;
    try {
      await send(queueUrl);
      const run = await runRelay(
        ["once"],
        relayEnv(queueUrl, {
          RIVANNA_PORT: String(sshd.port),
          SSH_KNOWN_HOSTS: sshd.knownHostsPath,
          RIVANNA_SCRIPT: script,
          SIGNING_SECRET: secret,
          ...settings,
        }),
      );

      expect(run.code).toBe(0);
      expect(sshd.log().slice(logged)).not.toMatch(
        /Connection from|Accepted publickey/,
      );
      await expect(queueDepth(client, queueUrl)).resolves.toEqual({
        visible: 0,
        inFlight: 0,
      });
      return run.logs.find((l) => l.event === "message_refused");
    } finally {
      await deleteQueue(client, queueUrl);
    }
  }

  it("refuses an unsigned message", async () => {
    const refusal = await refusedBy((q) => sendJob(client, q));

    expect(refusal).toMatchObject({ reason: "unsigned", level: "error" });
  });

  it("refuses a message signed with another secret", async () => {
    const refusal = await refusedBy((q) =>
      sendJob(client, q, {}, "somebody-elses-secret-000"),
    );

    expect(refusal).toMatchObject({ reason: "bad_signature" });
  });

  it("refuses a signed message whose body was changed after signing", async () => {
    const refusal = await refusedBy((q) => {
      const encoded = encodeMessage(jobMessage(), secret);
      const forged = encoded.body.replace("refs/heads/main", "refs/heads/evil");
      return client.send(
        new SendMessageCommand({
          QueueUrl: q,
          MessageBody: forged,
          MessageAttributes: encoded.attributes,
        }),
      );
    });

    expect(refusal).toMatchObject({ reason: "bad_signature" });
  });

  it("refuses a signed message for a repository it does not serve", async () => {
    const refusal = await refusedBy((q) =>
      sendJob(client, q, { repository: "someone/else" }, secret),
    );

    expect(refusal).toMatchObject({
      reason: "not_allowed",
      repository: "someone/else",
    });
  });

  it("refuses a signed message carrying an attribute the settings do not allow", async () => {
    const refusal = await refusedBy(
      (q) =>
        sendJob(
          client,
          q,
          { attributes: { PARTITION: "gpu", NODES: "2" } },
          secret,
        ),
      { ALLOWED_ATTRIBUTES: "PARTITION,THREADS" },
    );

    expect(refusal).toMatchObject({
      reason: "not_allowed",
      detail:
        "attribute 'NODES' is not allowed by route 'default' (expected only PARTITION, THREADS)",
    });
  });

  it("refuses a signed message older than the allowed age", async () => {
    const old = new Date(Date.now() - 20 * 24 * 3600 * 1000).toISOString();

    const refusal = await refusedBy((q) =>
      sendJob(client, q, { timestamp: old }, secret),
    );

    expect(refusal).toMatchObject({ reason: "expired" });
  });

  it("does reach this sshd with a valid message, so the refusals above prove something", async () => {
    const queueUrl = await createQueue(client, "relay-refusals-control");
    await sendJob(client, queueUrl, {}, secret);

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, {
        RIVANNA_PORT: String(sshd.port),
        SSH_KNOWN_HOSTS: sshd.knownHostsPath,
        RIVANNA_SCRIPT: script,
        SIGNING_SECRET: secret,
      }),
    );
    await deleteQueue(client, queueUrl);

    expect(run.logs.find((l) => l.event === "job_submitted")).toBeDefined();
    expect(sshd.log()).toMatch(/Accepted publickey for biirelay/);
  });
});
