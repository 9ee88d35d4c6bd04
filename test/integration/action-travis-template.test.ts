import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import type { SQSClient } from "@aws-sdk/client-sqs";
import { parse } from "yaml";

import { eventKey } from "../../protocol/event-key.js";
import { parseMessage } from "../../protocol/parse.js";
import { signatureMatches } from "../../protocol/signature.js";
import { drainQueue, stringAttributes } from "../support/action-runner.js";
import {
  createQueue,
  deleteQueue,
  repoRoot,
  sqsClient,
  stack,
  testCredentials,
} from "../support/stack.js";

const run = promisify(execFile);
const SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

/** The publish job's script from templates/travis.yml. */
function publishScript(): string {
  const template = parse(
    readFileSync(join(repoRoot, "templates", "travis.yml"), "utf8"),
  ) as { jobs: { include: { script: string[] }[] } };
  const script = template.jobs.include[0]?.script[0];
  if (script === undefined) {
    throw new Error("templates/travis.yml has no publish script");
  }
  return script;
}

describe("the Travis CI template", () => {
  let client: SQSClient;
  let dir: string;

  beforeAll(() => {
    client = sqsClient();
    dir = mkdtempSync(join(tmpdir(), "bii-travis-"));
  });

  afterAll(() => {
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function travis(queueUrl: string, env: Record<string, string>) {
    await run("bash", ["-c", publishScript()], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        QURL: queueUrl,
        BII_ENDPOINT: stack().sqsEndpoint,
        AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
        TRAVIS_REPO_SLUG: "Codertocat/Hello-World",
        TRAVIS_COMMIT: SHA,
        TRAVIS_BUILD_ID: "123456",
        TRAVIS_BUILD_WEB_URL: "https://app.travis-ci.com/builds/123456",
        ...env,
      },
    });
  }

  it("sends a signed tag push to a FIFO queue in the Action's contract", async () => {
    const queueUrl = await createQueue(client, "travis.fifo");
    try {
      await travis(queueUrl, {
        TRAVIS_TAG: "v1.2.3",
        TRAVIS_BRANCH: "v1.2.3",
        BII_SIGNING_SECRET: "travis secret",
      });

      const [message] = await drainQueue(client, queueUrl);
      const body = parseMessage(message?.Body ?? "");
      expect(body).toMatchObject({
        event: "push",
        repository: "Codertocat/Hello-World",
        sha: SHA,
        ref: "refs/tags/v1.2.3",
        version: "1.2.3",
        runId: "123456",
      });
      const attributes = stringAttributes(message ?? {});
      expect(attributes).toMatchObject({ VERSION: "1.2.3", EVENT: "push" });
      expect(
        signatureMatches(
          message?.Body ?? "",
          attributes.SIGNATURE,
          "travis secret",
        ),
      ).toBe(true);
      expect(message?.Attributes?.MessageDeduplicationId).toBe(eventKey(body));
    } finally {
      await deleteQueue(client, queueUrl);
    }
  });

  it("sends an unsigned branch push without a VERSION attribute", async () => {
    const queueUrl = await createQueue(client, "travis");
    try {
      await travis(queueUrl, { TRAVIS_TAG: "", TRAVIS_BRANCH: "main" });

      const [message] = await drainQueue(client, queueUrl);
      expect(parseMessage(message?.Body ?? "")).toMatchObject({
        ref: "refs/heads/main",
        version: "",
      });
      expect(Object.keys(stringAttributes(message ?? {})).sort()).toEqual([
        "EVENT",
        "REF",
        "REPOSITORY",
        "SHA",
      ]);
    } finally {
      await deleteQueue(client, queueUrl);
    }
  });
});
