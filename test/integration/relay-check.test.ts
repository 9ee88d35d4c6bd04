import { execFileSync } from "node:child_process";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { relayEnv, runRelay } from "../support/relay-env.js";
import {
  createQueue,
  deleteQueue,
  sqsClient,
  stack,
} from "../support/stack.js";

describe("bii-relay check", () => {
  let client: SQSClient;
  let queueUrl: string;
  let fingerprint: string;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "relay-check");
    const listed = execFileSync(
      "ssh-keygen",
      ["-lf", join(stack().stateDir, "ssh", "host_key.pub")],
      { encoding: "utf8" },
    );
    fingerprint = listed.split(" ")[1] ?? "";
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  const check = (overrides: Record<string, string>) =>
    runRelay(
      ["check"],
      relayEnv(queueUrl, { RIVANNA_SCRIPT: "run.sh", ...overrides }),
    );

  it("passes against the stack and prints the host key's fingerprint to pin", async () => {
    const run = await check({});

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`ok   queue ${queueUrl}`);
    expect(run.stdout).toContain(
      `ok   ssh biirelay@127.0.0.1:${String(stack().sshPort)}`,
    );
    expect(run.stdout).toContain(fingerprint);
  });

  it("passes with that fingerprint pinned instead of a known_hosts file", async () => {
    const run = await check({
      SSH_KNOWN_HOSTS: "",
      SSH_HOST_KEY_FINGERPRINT: fingerprint,
    });

    expect(run.code).toBe(0);
  });

  it.each([
    [
      "a queue URL that is not one",
      { QURL: "htp://example/queue" },
      2,
      /QURL "htp:\/\/example\/queue" is not valid: expected an SQS queue URL/,
    ],
    [
      "a queue that does not exist",
      {
        QURL: "http://sqs.us-east-1.localhost:9324/000000000000/no-such-queue",
      },
      1,
      /FAIL queue .*no-such-queue: .*(NonExistentQueue|does not exist)/i,
    ],
    [
      "a known_hosts file with another key for the host",
      { SSH_KNOWN_HOSTS: stack().wrongKnownHostsPath },
      1,
      /FAIL ssh .*does not match .*wrong_known_hosts/,
    ],
    [
      "a pinned fingerprint of another key",
      { SSH_HOST_KEY_FINGERPRINT: `SHA256:${"A".repeat(43)}` },
      1,
      /FAIL ssh .*does not match the pinned fingerprint/,
    ],
    [
      "a malformed fingerprint",
      { SSH_HOST_KEY_FINGERPRINT: "md5:00:11" },
      2,
      /SSH_HOST_KEY_FINGERPRINT "md5:00:11" is not valid: expected an OpenSSH fingerprint/,
    ],
    [
      "a key file that does not exist",
      { SSH_KEY_FILE: "/nonexistent/id_rsa" },
      2,
      /SSH_KEY_FILE "\/nonexistent\/id_rsa" is not valid: expected a readable file \(ENOENT\)/,
    ],
    [
      "a key the cluster does not accept",
      { SSH_KEY_FILE: join(stack().stateDir, "ssh", "other_host_key") },
      1,
      /FAIL ssh .*(authentication|auth)/i,
    ],
    [
      "a port where nothing listens",
      { RIVANNA_PORT: "1" },
      1,
      /FAIL ssh biirelay@127\.0\.0\.1:1: .*ECONNREFUSED/,
    ],
    [
      "a user name that is not one",
      { USERID: "-oProxyCommand=sh" },
      2,
      /USERID "-oProxyCommand=sh" is not valid/,
    ],
  ])("fails for %s, saying what is wrong", async (_, overrides, code, says) => {
    const run = await check(overrides);

    expect(run.code).toBe(code);
    expect(run.stdout + run.stderr).toMatch(says);
  });

  it("refuses an unknown command or flag with exit code 2 and the usage", async () => {
    const unknown = await runRelay(["start"], relayEnv(queueUrl));
    const flag = await runRelay(["run", "--fast"], relayEnv(queueUrl));

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /'start' is not a command \(expected run, once, check or redrive\)/,
    );
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--fast/);
    expect(flag.stderr).toMatch(/usage: bii-relay/);
  });
});
