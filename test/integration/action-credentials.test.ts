import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import {
  drainQueue,
  localQueueInputs,
  queueDepth,
  runAction,
  webhookExample,
} from "../support/action-runner.js";
import {
  createQueue,
  deleteQueue,
  sqsClient,
  testCredentials,
} from "../support/stack.js";

const push = {
  name: "push",
  payload: webhookExample("push", (p) => p.ref === "refs/heads/master"),
  ref: "refs/heads/master",
  sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
};
const noEnvironmentKeys = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
};

describe("the action's AWS credentials", () => {
  let client: SQSClient;
  let queueUrl: string;
  let dir: string;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "action-credentials");
    dir = mkdtempSync(join(tmpdir(), "bii-credentials-"));
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks the SDK's default chain when the environment has no keys", async () => {
    const file = join(dir, "credentials");
    writeFileSync(
      file,
      `[ci]\naws_access_key_id = ${testCredentials.accessKeyId}\naws_secret_access_key = ${testCredentials.secretAccessKey}\n`,
    );

    const run = await runAction(localQueueInputs(queueUrl), push, {
      ...noEnvironmentKeys,
      AWS_SHARED_CREDENTIALS_FILE: file,
      AWS_CONFIG_FILE: join(dir, "no-config"),
      AWS_PROFILE: "ci",
    });

    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "::debug::AWS credentials from the AWS SDK's default credential chain",
    );
    expect(await drainQueue(client, queueUrl)).toHaveLength(1);
  });

  it("fails with how to provide credentials when there are none, sending nothing", async () => {
    const run = await runAction(localQueueInputs(queueUrl), push, {
      ...noEnvironmentKeys,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
      AWS_CONFIG_FILE: join(dir, "none"),
    });

    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^no AWS credentials found \(/);
    expect(run.errors[0]).toContain("aws-actions/configure-aws-credentials");
    expect(await queueDepth(client, queueUrl)).toBe(0);
  });
});
