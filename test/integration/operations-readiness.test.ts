import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { relayEnv } from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import {
  createQueue,
  deleteQueue,
  sqsClient,
  stack,
} from "../support/stack.js";

// The stack's sshd serves every test at once; this test stops an sshd of
// its own (same configuration and host key, another port), so that only
// this relay loses its cluster.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
  });
}

/** Starts sshd on `port`; resolves once its pid file is written. */
async function startSshd(port: number, dir: string): Promise<void> {
  execFileSync("/usr/sbin/sshd", [
    "-f",
    stack().sshdConfig,
    "-o",
    `Port=${port}`,
    "-o",
    `PidFile=${join(dir, "sshd.pid")}`,
    "-E",
    join(dir, "sshd.log"),
  ]);
  for (let i = 0; i < 50 && !existsSync(join(dir, "sshd.pid")); i++) {
    await sleep(100);
  }
}

/** Children of a process, by id, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        return (
          Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Stops this test's sshd: the listener and the sessions it forked, which
 * are the relay's connections, so the relay sees the cluster go away.
 */
async function stopSshd(dir: string): Promise<void> {
  const pidFile = join(dir, "sshd.pid");
  if (!existsSync(pidFile)) {
    return;
  }
  const pid = Number(readFileSync(pidFile, "utf8"));
  for (const id of [pid, ...childrenOf(pid)]) {
    try {
      process.kill(id, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
  for (let i = 0; i < 50 && existsSync(pidFile); i++) {
    await sleep(100);
  }
}

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
  let dir: string;
  let client: SQSClient;
  let queueUrl: string;
  let relay: RelayProcess;
  let url: string;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bii-relay-readiness-"));
    port = await freePort();
    const hostKey = readFileSync(
      join(stack().stateDir, "ssh", "host_key.pub"),
      "utf8",
    );
    writeFileSync(
      join(dir, "known_hosts"),
      `[127.0.0.1]:${port} ${hostKey.split(" ").slice(0, 2).join(" ")}\n`,
    );
    await startSshd(port, dir);

    client = sqsClient();
    queueUrl = await createQueue(
      client,
      `readiness-${randomUUID().slice(0, 4)}`,
    );
    relay = RelayProcess.start(
      relayEnv(queueUrl, {
        RIVANNA_PORT: String(port),
        SSH_KNOWN_HOSTS: join(dir, "known_hosts"),
        RIVANNA_SCRIPT: "/bin/true",
        RELAY_HTTP_HOST: "127.0.0.1",
        RELAY_HTTP_PORT: "0",
      }),
    );
    url = await relay.httpUrl();
  }, 30_000);

  afterAll(async () => {
    await relay.stop();
    await stopSshd(dir);
    await deleteQueue(client, queueUrl);
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
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
      await stopSshd(dir);
      whileDown = await readyzBecomes(url, 503);
      problems = await (await fetch(`${url}/readyz`)).json();
    } finally {
      // Back promptly whatever happened, so nothing is left stopped.
      await startSshd(port, dir);
    }
    const whileReturning = await readyzBecomes(url, 200);

    expect(problems).toEqual({
      status: "fail",
      problems: [expect.stringMatching(/^ssh biirelay@127\.0\.0\.1:\d+: /)],
    });
    expect(new Set([...whileDown, ...whileReturning])).toEqual(new Set([200]));
  });
});
