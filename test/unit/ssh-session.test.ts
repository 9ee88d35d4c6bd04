/**
 * SshSession against an in-process ssh2 server on loopback, which can do
 * what a real sshd rarely does on demand: refuse channels, hang, drop the
 * connection mid-command, answer a signal with an exit status. Deadlines
 * run on manual timers, so nothing here waits for them.
 */
import { createServer, type Server as NetServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

import {
  Server,
  utils,
  type Connection,
  type ServerChannel,
  type Session,
} from "ssh2";

import { fingerprint } from "../../relay/host-key.js";
import { SshError } from "../../relay/ssh-error.js";
import {
  MAX_OUTPUT_BYTES,
  SshSession,
  type SessionLogger,
  type SshSessionOptions,
  type Timers,
} from "../../relay/ssh-session.js";

const hostKeys = utils.generateKeyPairSync("ed25519");
const hostFingerprint = fingerprint(
  Buffer.from(hostKeys.public.split(" ")[1] ?? "", "base64"),
);
const clientKey = utils.generateKeyPairSync("ed25519");
const passphrase = "correct horse battery staple";
const encryptedKey = utils.generateKeyPairSync("ed25519", {
  passphrase,
  cipher: "aes256-ctr",
  rounds: 16,
});

/** Timers that fire only when the test advances them. */
class ManualTimers implements Timers {
  private now = 0;
  private nextId = 1;
  private readonly due = new Map<number, { at: number; run: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.due.set(id, { at: this.now + ms, run: callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  advance(ms: number): void {
    this.now += ms;
    const ready = [...this.due].filter(([, t]) => t.at <= this.now);
    for (const [id, timer] of ready) {
      this.due.delete(id);
      timer.run();
    }
  }
}

/** What the test server does with each command. */
type ExecHandler = (stream: ServerChannel, conn: Connection) => void;

/** An ssh2 server on loopback that accepts any client key. */
class TestServer {
  port = 0;
  onExec: ExecHandler = (stream) => {
    stream.exit(0);
    stream.end();
  };
  onSession: (session: Session) => void = () => undefined;
  refuseSessions = false;
  refuseLogin = false;
  signals: string[] = [];
  lastStream: ServerChannel | undefined;
  openSessions = 0;
  mostOpenSessions = 0;

  private readonly server = new Server(
    { hostKeys: [hostKeys.private] },
    (conn) => {
      this.serve(conn);
    },
  );

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.listen(0, "127.0.0.1", resolve);
    });
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(conn: Connection): void {
    conn.on("error", () => undefined);
    conn.on("authentication", (ctx) => {
      if (this.refuseLogin) {
        ctx.reject();
      } else {
        ctx.accept();
      }
    });
    conn.on("session", (accept, reject) => {
      if (this.refuseSessions) {
        reject();
        return;
      }
      this.openSession(accept(), conn);
    });
  }

  private openSession(session: Session, conn: Connection): void {
    this.openSessions += 1;
    this.mostOpenSessions = Math.max(this.mostOpenSessions, this.openSessions);
    session.on("close", () => {
      this.openSessions -= 1;
    });
    // The client wants no reply to a signal, so there is nothing to accept.
    session.on("signal", (_accept, _reject, info) => {
      this.signals.push(info.name);
    });
    session.on("exec", (accept) => {
      this.lastStream = accept();
      this.onExec(this.lastStream, conn);
    });
    this.onSession(session);
  }
}

function newSession(
  server: TestServer,
  overrides: Partial<SshSessionOptions> = {},
): SshSession {
  return new SshSession({
    host: "127.0.0.1",
    port: server.port,
    username: "tester",
    privateKey: Buffer.from(clientKey.private),
    hostKey: { kind: "fingerprint", fingerprint: hostFingerprint },
    readyTimeoutMs: 5000,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<SshError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SshError)) {
    throw new Error(`expected an SshError, got ${String(error)}`);
  }
  return error;
}

/** Resolves when the server has started a command, with its stream. */
function nextExec(server: TestServer): Promise<ServerChannel> {
  return new Promise((resolve) => {
    server.onExec = (stream) => {
      // Read what the client sends, or the stream never ends and closes.
      stream.resume();
      resolve(stream);
    };
  });
}

const stdin = Buffer.from("A=1\0\0");
let server: TestServer;
let session: SshSession;
let timers: ManualTimers;

beforeEach(async () => {
  server = new TestServer();
  await server.listen();
  timers = new ManualTimers();
  session = newSession(server, { timers });
});

afterEach(async () => {
  await session.close();
  await server.close();
});

describe("the deadline", () => {
  it("sends KILL and closes the channel, resolving as timed out", async () => {
    const started = nextExec(server);
    const result = session.run("hang", stdin, { deadlineMs: 1000 });
    const stream = await started;
    const closed = new Promise((resolve) => stream.once("close", resolve));

    timers.advance(999);
    expect(server.signals).toEqual([]);
    timers.advance(1);

    await expect(result).resolves.toMatchObject({
      timedOut: true,
      exitCode: null,
    });
    expect(server.signals).toEqual(["KILL"]);
    await closed;
  });

  it("counts a command that reports an exit status as the deadline passes as finished", async () => {
    const started = nextExec(server);
    server.onSession = (s) => {
      s.on("signal", () => {
        // The status was already on its way when the KILL arrived.
        server.lastStream?.exit(0);
        server.lastStream?.end();
      });
    };
    const result = session.run("finish", stdin, { deadlineMs: 1000 });
    await started;

    timers.advance(1000);

    await expect(result).resolves.toMatchObject({
      timedOut: false,
      exitCode: 0,
    });
  });

  it("ends the run soon after the deadline even if the server never answers the exec request", async () => {
    let asked!: () => void;
    const execRequested = new Promise<void>((resolve) => (asked = resolve));
    server.onSession = (s) => {
      s.removeAllListeners("exec");
      s.on("exec", () => {
        asked();
      });
    };
    const result = session.run("stuck", stdin, { deadlineMs: 1000 });
    await execRequested;

    timers.advance(1000);
    timers.advance(10_000);

    await expect(result).resolves.toMatchObject({
      timedOut: true,
      exitCode: null,
    });
  });

  it("fails without running anything when it passes before the handshake", async () => {
    const silent = await silentServer();
    const stalled = newSession(server, {
      port: silent.port,
      timers,
      readyTimeoutMs: 500,
    });

    try {
      const result = stalled.run("never", stdin, { deadlineMs: 100 });
      await sleep(50);
      timers.advance(100);
      const error = await failure(result);

      expect(error).toMatchObject({
        kind: "deadline",
        retryable: true,
        mayHaveRun: false,
      });
      expect(error.message).toMatch(
        /the deadline of 100 ms passed before the command started/,
      );
    } finally {
      await stalled.close();
      silent.server.close();
    }
  });

  it.each([0, -5, Number.NaN, 1_800_000_000_000])(
    "refuses deadlineMs %s, which is not a duration from now",
    async (deadlineMs) => {
      await expect(session.run("x", stdin, { deadlineMs })).rejects.toThrow(
        `deadlineMs ${deadlineMs} is not allowed`,
      );
    },
  );
});

describe("a command's input and output", () => {
  it("writes stdin and keeps the channel's input open so it can be signalled", async () => {
    const received: Buffer[] = [];
    let sawEnd = false;
    server.onExec = (stream) => {
      stream.on("data", (chunk: Buffer) => received.push(chunk));
      stream.on("end", () => (sawEnd = true));
      setTimeout(() => {
        stream.exit(0);
        stream.end();
      }, 100);
    };

    await session.run("read", stdin, { deadlineMs: 5000 });

    expect(Buffer.concat(received)).toEqual(stdin);
    expect(sawEnd).toBe(false);
  });

  it("keeps the last 1 MiB of each stream and says it dropped the start", async () => {
    server.onExec = (stream) => {
      // The start goes; the end, where the ledger answers, stays.
      stream.write(Buffer.alloc(5000, "h"));
      stream.write(Buffer.alloc(MAX_OUTPUT_BYTES - 4, "o"));
      stream.write("END\n");
      stream.stderr.write(Buffer.alloc(MAX_OUTPUT_BYTES + 5000, "e"), () => {
        stream.exit(3);
        stream.end();
      });
    };

    const result = await session.run("loud", stdin, { deadlineMs: 5000 });

    // Lengths, not the strings: a failure should not print megabytes.
    expect([result.stdout.length, result.stderr.length]).toEqual([
      MAX_OUTPUT_BYTES,
      MAX_OUTPUT_BYTES,
    ]);
    expect(result.stdout.endsWith("oEND\n")).toBe(true);
    expect(result.stdout.replaceAll("o", "")).toBe("END\n");
    expect(result).toMatchObject({ exitCode: 3, truncated: true });
  });

  it("decodes a character split between two packets", async () => {
    const bytes = Buffer.from("ok 😀\n");
    server.onExec = (stream) => {
      stream.write(bytes.subarray(0, 5));
      setTimeout(() => {
        stream.write(bytes.subarray(5));
        stream.exit(0);
        stream.end();
      }, 50);
    };

    const result = await session.run("emoji", stdin, { deadlineMs: 5000 });

    expect(result.stdout).toBe("ok 😀\n");
    expect(result.truncated).toBe(false);
  });

  it("reports the signal that ended a command", async () => {
    server.onExec = (stream) => {
      stream.exit("TERM", false, "terminated");
      stream.end();
    };

    const result = await session.run("term", stdin, { deadlineMs: 5000 });

    expect(result).toMatchObject({ exitCode: null, signal: "SIGTERM" });
  });
});

describe("channels", () => {
  it("turns a refused channel into a retryable error for a command that did not run", async () => {
    server.refuseSessions = true;

    const error = await failure(session.run("x", stdin, { deadlineMs: 5000 }));

    expect(error).toMatchObject({
      kind: "channel",
      retryable: true,
      mayHaveRun: false,
    });
  });

  it("turns a refused exec into a retryable error for a command that did not run", async () => {
    server.onSession = (s) => {
      s.removeAllListeners("exec");
      s.on("exec", (_accept, reject) => {
        reject();
      });
    };

    const error = await failure(session.run("x", stdin, { deadlineMs: 5000 }));

    expect(error).toMatchObject({ kind: "channel", mayHaveRun: false });
    expect(error.message).toMatch(/would not start the command/);
  });

  it("fails a command whose connection drops as retryable and possibly run", async () => {
    server.onExec = (_stream, conn) => {
      conn.end();
    };

    const error = await failure(session.run("x", stdin, { deadlineMs: 5000 }));

    expect(error).toMatchObject({
      kind: "connection-lost",
      retryable: true,
      mayHaveRun: true,
    });
    expect(session.state).toBe("idle");
  });

  it("never has more channels open than maxChannels, and runs every command", async () => {
    const limited = newSession(server, { maxChannels: 3 });
    server.onExec = (stream) => {
      setTimeout(() => {
        stream.exit(0);
        stream.end();
      }, 30);
    };

    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          limited.run("x", stdin, { deadlineMs: 10_000 }),
        ),
      );

      expect(results.every((r) => r.exitCode === 0)).toBe(true);
      expect(server.mostOpenSessions).toBe(3);
    } finally {
      await limited.close();
    }
  });

  it("gives a waiting command's place back when its deadline passes", async () => {
    const single = newSession(server, { maxChannels: 1, timers });
    const first = nextExec(server);

    try {
      const holding = single.run("hold", stdin, { deadlineMs: 60_000 });
      const stream = await first;
      const waiting = single.run("wait", stdin, { deadlineMs: 100 });
      timers.advance(100);
      await expect(waiting).rejects.toMatchObject({ kind: "deadline" });

      stream.exit(0);
      stream.end();
      await holding;
      server.onExec = (next) => {
        next.exit(0);
        next.end();
      };
      const after = await single.run("next", stdin, { deadlineMs: 5000 });
      expect(after.exitCode).toBe(0);
    } finally {
      await single.close();
    }
  });

  it("gives a command its whole deadline from its start, however long it waited for a channel", async () => {
    const single = newSession(server, { maxChannels: 1, timers });
    const first = nextExec(server);

    try {
      const holding = single.run("hold", stdin, { deadlineMs: 60_000 });
      const held = await first;
      const second = nextExec(server);
      const waiting = single.run("wait", stdin, { deadlineMs: 1000 });
      timers.advance(900);
      held.exit(0);
      held.end();
      await holding;
      await second;

      timers.advance(900);
      expect(server.signals).toEqual([]);
      timers.advance(100);

      await expect(waiting).resolves.toMatchObject({ timedOut: true });
      expect(server.signals).toEqual(["KILL"]);
    } finally {
      await single.close();
    }
  });

  it.each([0, 1.5])("refuses maxChannels %s", (maxChannels) => {
    expect(() => newSession(server, { maxChannels })).toThrow(
      `maxChannels ${maxChannels} is not allowed`,
    );
  });
});

describe("secrets", () => {
  const encrypted = {
    privateKey: Buffer.from(encryptedKey.private),
    passphrase,
  };
  const keyBody = [clientKey.private, encryptedKey.private]
    .join("\n")
    .split("\n")
    .filter((line) => !line.startsWith("-----") && line.length > 16);

  function recordingLogger(lines: string[]): SessionLogger {
    const record = (fields: object, message: string) => {
      lines.push(JSON.stringify(fields), message);
    };
    return { debug: record, info: record, warn: record, error: record };
  }

  function errorText(error: unknown): string {
    const parts: string[] = [];
    for (let e = error; e instanceof Error; e = e.cause) {
      parts.push(e.message, e.stack ?? "", JSON.stringify(e));
    }
    return parts.join("\n");
  }

  it("opens an encrypted key with its passphrase", async () => {
    const withPassphrase = newSession(server, encrypted);

    try {
      await withPassphrase.connect();
      expect(withPassphrase.hostFingerprint).toBe(hostFingerprint);
    } finally {
      await withPassphrase.close();
    }
  });

  it("keeps the private key and passphrase out of every error and log line", async () => {
    const lines: string[] = [];
    const logger = recordingLogger(lines);
    const attempts = [
      newSession(server, { ...encrypted, logger, passphrase: "wrong" }),
      newSession(server, {
        ...encrypted,
        logger,
        hostKey: { kind: "fingerprint", fingerprint: "SHA256:other" },
      }),
      newSession(server, { ...encrypted, logger, port: 1 }),
    ];
    server.refuseLogin = true;
    attempts.push(newSession(server, { ...encrypted, logger }));

    const errors = await Promise.all(attempts.map((s) => failure(s.connect())));

    expect(errors.map((e) => e.kind)).toEqual([
      "config",
      "host-key",
      "connect",
      "auth",
    ]);
    const text = [...errors.map(errorText), ...lines].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(passphrase);
    expect(text).not.toMatch(/PRIVATE KEY/);
    for (const line of keyBody) {
      expect(text).not.toContain(line);
    }
  });
});

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ server: NetServer; port: number }> {
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => {
    silent.listen(0, "127.0.0.1", resolve);
  });
  const address = silent.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { server: silent, port };
}
