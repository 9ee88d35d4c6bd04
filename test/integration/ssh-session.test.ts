import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { fingerprint } from "../../relay/host-key.js";
import {
  buildRemoteCommand,
  encodeEnvironment,
} from "../../relay/remote-command.js";
import { SshError } from "../../relay/ssh-error.js";
import { SshSession, type SshSessionOptions } from "../../relay/ssh-session.js";
import { knownHostsPolicy, stack } from "../support/stack.js";
import { ownConnectionPorts, TestSshd, waitFor } from "../support/sshd.js";

// The stack's own host key, as `ssh-keygen -lf host_key.pub` prints it.
const stackHostKey = fingerprint(
  Buffer.from(
    readFileSync(join(stack().stateDir, "ssh", "host_key.pub"), "utf8").split(
      " ",
    )[1] ?? "",
    "base64",
  ),
);

function stackSession(overrides: Partial<SshSessionOptions> = {}): SshSession {
  const s = stack();
  return new SshSession({
    host: s.sshHost,
    port: s.sshPort,
    username: s.sshUser,
    privateKey: readFileSync(s.sshKeyPath),
    hostKey: knownHostsPolicy(s.knownHostsPath),
    readyTimeoutMs: 10_000,
    ...overrides,
  });
}

/** Runs `argv` through the bootstrap with no environment. */
function runArgv(session: SshSession, argv: string[], deadlineMs = 10_000) {
  const command = buildRemoteCommand({ argv, appendVersion: false });
  return session.run(command, encodeEnvironment({}), { deadlineMs });
}

async function refusal(promise: Promise<unknown>): Promise<SshError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SshError)) {
    throw new Error(`expected an SshError, got ${String(error)}`);
  }
  return error;
}

describe("connecting to the cluster's sshd", () => {
  const sessions: SshSession[] = [];
  const track = (session: SshSession) => {
    sessions.push(session);
    return session;
  };

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
  });

  it("accepts a host key listed in known_hosts and reports its fingerprint", async () => {
    const session = track(stackSession());
    expect(session.state).toBe("idle");

    await session.connect();

    expect(session.state).toBe("ready");
    expect(session.isReady()).toBe(true);
    expect(session.hostFingerprint).toBe(stackHostKey);
  });

  it("refuses a host key that known_hosts does not list, naming both fingerprints", async () => {
    const session = track(
      stackSession({ hostKey: knownHostsPolicy(stack().wrongKnownHostsPath) }),
    );

    const error = await refusal(session.connect());

    expect(error.kind).toBe("host-key");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("biirelay@127.0.0.1:2222");
    expect(error.message).toContain(stackHostKey);
    expect(error.message).toMatch(/expected SHA256:/);
    expect(session.state).toBe("idle");
    expect(session.connectCount).toBe(0);
  });

  it("accepts a pinned fingerprint that matches", async () => {
    const session = track(
      stackSession({
        hostKey: { kind: "fingerprint", fingerprint: stackHostKey },
      }),
    );

    const result = await runArgv(session, ["echo", "pinned"]);

    expect(result.stdout).toBe("pinned\n");
    expect(session.hostFingerprint).toBe(stackHostKey);
  });

  it("refuses a pinned fingerprint that does not match and runs nothing", async () => {
    const pinned = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const session = track(
      stackSession({ hostKey: { kind: "fingerprint", fingerprint: pinned } }),
    );

    const error = await refusal(runArgv(session, ["echo", "never"]));

    expect(error.kind).toBe("host-key");
    expect(error.retryable).toBe(false);
    expect(error.mayHaveRun).toBe(false);
    expect(error.message).toContain(stackHostKey);
    expect(error.message).toContain(pinned);
  });

  it("reports a key the server does not accept as an authentication failure, not retryable", async () => {
    const otherKey = join(stack().stateDir, "ssh", "other_host_key");
    const session = track(stackSession({ privateKey: readFileSync(otherKey) }));

    const error = await refusal(session.connect());

    expect(error.kind).toBe("auth");
    expect(error.retryable).toBe(false);
  });

  it("reports a refused TCP connection as retryable", async () => {
    const session = track(stackSession({ port: 1 }));

    const error = await refusal(session.connect());

    expect(error.kind).toBe("connect");
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/biirelay@127\.0\.0\.1:1: .*ECONNREFUSED/);
  });

  it("shares one connection attempt between concurrent callers", async () => {
    const session = track(stackSession());

    await Promise.all([1, 2, 3, 4, 5].map(() => session.connect()));

    expect(session.connectCount).toBe(1);
  });
});

describe("a server with host keys of several types", () => {
  const dir = mkdtempSync(join(tmpdir(), "bii-relay-host-keys-"));
  const rsaKey = join(dir, "host_rsa_key");
  let sshd: TestSshd;
  let rsa: { line: string; fingerprint: string };

  beforeAll(async () => {
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-N", "", "-f", rsaKey]);
    const [type = "", base64 = ""] = readFileSync(`${rsaKey}.pub`, "utf8")
      .trim()
      .split(" ");
    rsa = {
      line: `${type} ${base64}`,
      fingerprint: fingerprint(Buffer.from(base64, "base64")),
    };
    // The stack's ed25519 key, which ssh2 prefers, and this RSA key.
    sshd = await TestSshd.start("host-key-types", [rsaKey]);
  });

  afterAll(async () => {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks for the type known_hosts lists, so an RSA entry is enough", async () => {
    const knownHosts = join(dir, "known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${rsa.line}\n`);
    const session = stackSession({
      port: sshd.port,
      hostKey: knownHostsPolicy(knownHosts),
    });

    await session.connect();
    await session.close();

    expect(session.hostFingerprint).toBe(rsa.fingerprint);
  });

  it("still takes the ed25519 key when known_hosts lists that one", async () => {
    const session = stackSession({
      port: sshd.port,
      hostKey: knownHostsPolicy(sshd.knownHostsPath),
    });

    await session.connect();
    await session.close();

    expect(session.hostFingerprint).toBe(stackHostKey);
  });
});

describe("commands on one connection", () => {
  let sshd: TestSshd;
  let session: SshSession;

  beforeAll(async () => {
    sshd = await TestSshd.start("session-reuse");
    session = stackSession({
      port: sshd.port,
      hostKey: knownHostsPolicy(sshd.knownHostsPath),
    });
  });

  afterAll(async () => {
    await session.close();
    await sshd.stop();
  });

  it("runs sequential commands over one TCP connection and one login", async () => {
    const loginsBefore = sshd.acceptedLogins();
    const clientPorts = new Set<string>();

    for (let i = 0; i < 5; i++) {
      const result = await runArgv(session, ["printenv", "SSH_CONNECTION"]);
      expect(result.exitCode).toBe(0);
      // "client-ip client-port server-ip server-port", as sshd sees it.
      clientPorts.add(result.stdout.split(" ")[1] ?? "");
    }

    expect(clientPorts.size).toBe(1);
    expect(ownConnectionPorts(sshd.port)).toEqual([
      Number([...clientPorts][0]),
    ]);
    expect(session.connectCount).toBe(1);
    await waitFor(
      () => sshd.acceptedLogins() === loginsBefore + 1,
      "sshd to log the one login",
    );
  });

  it("runs many concurrent commands, more than its channel limit, each with its own output", async () => {
    const count = 40;

    const results = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        runArgv(session, ["bash", "-c", `sleep 0.2; echo command-${i}`]),
      ),
    );

    expect(results.map((r) => r.stdout)).toEqual(
      Array.from({ length: count }, (_, i) => `command-${i}\n`),
    );
    expect(results.every((r) => r.exitCode === 0)).toBe(true);
  });

  it("turns channels the server refuses beyond its MaxSessions into retryable errors", async () => {
    // The stack's sshd allows 100 sessions per connection.
    const greedy = stackSession({
      port: sshd.port,
      hostKey: knownHostsPolicy(sshd.knownHostsPath),
      maxChannels: 130,
    });

    try {
      const settled = await Promise.allSettled(
        Array.from({ length: 130 }, () => runArgv(greedy, ["sleep", "1"])),
      );

      const refused = settled.flatMap((s) =>
        s.status === "rejected" ? [s.reason as unknown] : [],
      );
      expect(refused.length).toBeGreaterThan(0);
      for (const error of refused) {
        expect(error).toBeInstanceOf(SshError);
        expect(error).toMatchObject({
          kind: "channel",
          retryable: true,
          mayHaveRun: false,
        });
      }
      expect(settled.length - refused.length).toBeGreaterThanOrEqual(90);
    } finally {
      await greedy.close();
    }
  });
});

describe("reconnecting after the connection is lost", () => {
  let sshd: TestSshd;
  let session: SshSession;

  beforeAll(async () => {
    sshd = await TestSshd.start("session-reconnect");
    session = stackSession({
      port: sshd.port,
      hostKey: knownHostsPolicy(sshd.knownHostsPath),
      readyTimeoutMs: 3000,
    });
  });

  afterEach(async () => {
    await sshd.resume();
  });

  afterAll(async () => {
    await session.close();
    await sshd.stop();
  });

  it("keeps its open connection when only sshd's listener restarts", async () => {
    await runArgv(session, ["true"]);
    const connects = session.connectCount;

    await sshd.pause();
    await sshd.resume();
    const result = await runArgv(session, ["echo", "still here"]);

    expect(result.stdout).toBe("still here\n");
    expect(session.connectCount).toBe(connects);
  });

  it("fails retryably while sshd is down, then reconnects once it is back", async () => {
    await runArgv(session, ["true"]);
    const connects = session.connectCount;

    await sshd.pause();
    expect(sshd.dropConnections()).toBeGreaterThan(0);
    await waitFor(() => session.state === "idle", "the session to notice");
    const error = await refusal(runArgv(session, ["echo", "down"]));

    expect(error).toMatchObject({ kind: "connect", retryable: true });
    expect(error.message).toContain("ECONNREFUSED");

    await sshd.resume();
    const result = await runArgv(session, ["echo", "back"]);

    expect(result.stdout).toBe("back\n");
    expect(session.connectCount).toBe(connects + 1);
    expect(session.state).toBe("ready");
  });

  it("fails a command whose connection drops mid-run as retryable and possibly run", async () => {
    const running = runArgv(session, ["sleep", "30"], 60_000);
    await waitFor(() => session.isReady(), "the command's connection");
    // Let the command start before the connection goes.
    await new Promise((resolve) => setTimeout(resolve, 500));

    sshd.dropConnections();
    const error = await refusal(running);

    expect(error).toMatchObject({
      kind: "connection-lost",
      retryable: true,
      mayHaveRun: true,
    });
    const result = await runArgv(session, ["echo", "reconnected"]);
    expect(result.stdout).toBe("reconnected\n");
  });
});

describe("closing a session", () => {
  it("fails commands still open and refuses new ones", async () => {
    const session = stackSession();
    const running = runArgv(session, ["sleep", "30"], 60_000);
    await waitFor(() => session.isReady(), "the session to connect");

    await session.close();

    expect(session.state).toBe("closed");
    await expect(running).rejects.toBeInstanceOf(SshError);
    const error = await refusal(runArgv(session, ["true"]));
    expect(error).toMatchObject({ kind: "closed", retryable: false });
  });
});
