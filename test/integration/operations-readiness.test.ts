import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { relayEnv } from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import { TestSshd } from "../support/sshd.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

// The stack's sshd serves every test at once; this test stops an sshd of
// its own (same configuration and host key, another port), so that only
// this relay loses its cluster.

async function status(url: string, path: string): Promise<number> {
  return (await fetch(`${url}${path}`)).status;
}

/**
 * Polls /readyz until it answers `want`, checking /healthz stays 200.
 * @returns the /healthz statuses seen on the way
 */
async function readyzBecomes(url: string, want: number): Promise<number[]> {
  const health: number[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    health.push(await status(url, "/healthz"));
    const ready = await status(url, "/readyz");
    if (ready === want) {
      return health;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `/readyz still answers ${ready}, not ${want}, after 30 s`,
      );
    }
    await sleep(250);
  }
}

describe("readiness while the cluster's sshd goes away and returns", () => {
  let sshd: TestSshd;
  let client: SQSClient;
  let queueUrl: string;
  let relay: RelayProcess;
  let url: string;

  beforeAll(async () => {
    sshd = await TestSshd.start("readiness");

    client = sqsClient();
    queueUrl = await createQueue(
      client,
      `readiness-${randomUUID().slice(0, 4)}`,
    );
    relay = RelayProcess.start(
      relayEnv(queueUrl, {
        RIVANNA_PORT: String(sshd.port),
        SSH_KNOWN_HOSTS: sshd.knownHostsPath,
        RIVANNA_SCRIPT: "/bin/true",
        RELAY_HTTP_HOST: "127.0.0.1",
        RELAY_HTTP_PORT: "0",
      }),
    );
    url = await relay.httpUrl();
  }, 30_000);

  afterAll(async () => {
    await relay.stop();
    await sshd.stop();
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  it("is ready once the queue answers and the SSH connection is up", async () => {
    await readyzBecomes(url, 200);

    const body: unknown = await (await fetch(`${url}/readyz`)).json();
    expect(body).toEqual({ status: "ok", problems: [] });
  });

  it("turns unready when sshd stops, and ready again when it returns, staying healthy", async () => {
    await readyzBecomes(url, 200);

    let whileDown: number[];
    let problems: unknown;
    try {
      // The listener and the connections it serves: the relay's cluster
      // goes away, not only new logins.
      await sshd.pause();
      sshd.dropConnections();
      whileDown = await readyzBecomes(url, 503);
      problems = await (await fetch(`${url}/readyz`)).json();
    } finally {
      // Back promptly whatever happened, so nothing is left stopped.
      await sshd.resume();
    }
    const whileReturning = await readyzBecomes(url, 200);

    expect(problems).toEqual({
      status: "fail",
      problems: [expect.stringMatching(/^ssh biirelay@127\.0\.0\.1:\d+: /)],
    });
    expect(new Set([...whileDown, ...whileReturning])).toEqual(new Set([200]));
  });
});
