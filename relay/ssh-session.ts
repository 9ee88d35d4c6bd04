/**
 * One persistent SSH connection to one cluster account, shared by every
 * command sent there. Commands run on channels of that connection (SSH
 * multiplexes them); a dropped connection is opened again by the next
 * command. The host key is always verified: there is no accept-any mode.
 */
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";

import {
  entryMatches,
  fingerprint,
  hostKeyProblem,
  hostLookupName,
  type HostKeyPolicy,
} from "./host-key.js";
import { SshError, type SshErrorKind } from "./ssh-error.js";

/**
 * Where a session stands: "idle" has no connection (none yet, or it was
 * lost; the next command opens one), "closed" is final.
 */
export type SessionState = "idle" | "connecting" | "ready" | "closed";

/** The logging a session does, in pino's `(fields, message)` form. */
export interface SessionLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The timers a session uses; tests pass fakes so that nothing sleeps. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How to reach and authenticate to one cluster account. */
export interface SshSessionOptions {
  host: string;
  port: number;
  username: string;
  /** The private key (OpenSSH or PEM); it never reaches logs or errors. */
  privateKey: Buffer;
  passphrase?: string;
  /** What the server's host key must match. */
  hostKey: HostKeyPolicy;
  /**
   * How often to check an idle connection is alive, in ms.
   * @defaultValue 15000
   */
  keepaliveIntervalMs?: number;
  /**
   * Unanswered keepalives before the connection counts as lost.
   * @defaultValue 3
   */
  keepaliveCountMax?: number;
  /**
   * How long the TCP connect, handshake and login may take, in ms.
   * @defaultValue 20000
   */
  readyTimeoutMs?: number;
  /**
   * Commands open at once on the connection; more wait for a free one.
   * OpenSSH's default MaxSessions is 10. @defaultValue 8
   */
  maxChannels?: number;
  logger?: SessionLogger;
  timers?: Timers;
}

/** Limits for one command. */
export interface RunOptions {
  /**
   * How long run() may take from the call, in milliseconds, connecting
   * included. When it passes, the command is killed on the cluster.
   */
  deadlineMs: number;
  /** Aborting kills the command like the deadline does. */
  signal?: AbortSignal;
}

/** How a command ended. */
export interface RunResult {
  /** The exit status, or null when a signal ended the command. */
  exitCode: number | null;
  /** The signal that ended the command (`SIGKILL`, ...), or null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  /**
   * The deadline passed (or the caller aborted) and the command was killed.
   * A command whose own exit status arrived meanwhile is not timed out.
   */
  timedOut: boolean;
  /** Output beyond {@link MAX_OUTPUT_BYTES} per stream was dropped. */
  truncated: boolean;
}

/** The most of each of stdout and stderr that run() keeps. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

// How long to wait for the server to confirm a killed channel closed before
// giving up on it: a connection that has gone quiet may never confirm.
const CLOSE_GRACE_MS = 5000;

const LONGEST_DEADLINE_MS = 7 * 24 * 3600 * 1000;

const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

const silentLogger: SessionLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** One open connection and what became of it. */
interface Link {
  client: Client;
  open: boolean;
  lostWith?: Error;
}

/** Why a run stopped early: the deadline or the caller's abort. */
interface Stop {
  signal: AbortSignal;
  reason(): string;
  dispose(): void;
}

/** A persistent SSH connection to one target, reused across commands. */
export class SshSession {
  /** `user@host:port`, as errors and logs name it. */
  readonly target: string;

  private readonly options: SshSessionOptions;
  private readonly logger: SessionLogger;
  private readonly timers: Timers;
  private readonly slots: ChannelSlots;
  private link: Link | undefined;
  private pending: Promise<Link> | undefined;
  private closed = false;
  private verifiedKey: string | undefined;
  private connects = 0;

  constructor(options: SshSessionOptions) {
    this.options = options;
    this.target = `${options.username}@${options.host}:${options.port}`;
    this.logger = options.logger ?? silentLogger;
    this.timers = options.timers ?? systemTimers;
    this.slots = new ChannelSlots(options.maxChannels ?? 8);
  }

  /** Where the session stands. */
  get state(): SessionState {
    if (this.closed) {
      return "closed";
    }
    if (this.link !== undefined) {
      return "ready";
    }
    return this.pending === undefined ? "idle" : "connecting";
  }

  /** Whether a verified, logged-in connection is open (readiness probes). */
  isReady(): boolean {
    return this.state === "ready";
  }

  /** The SHA256 fingerprint of the last host key verified, once connected. */
  get hostFingerprint(): string | undefined {
    return this.verifiedKey;
  }

  /** How many connections have been opened, reconnections included. */
  get connectCount(): number {
    return this.connects;
  }

  /**
   * Opens the connection unless it is open. Concurrent callers share one
   * attempt; a failed attempt is not retried here (the caller backs off).
   * @throws SshError
   */
  async connect(): Promise<void> {
    await this.ensureLink();
  }

  /**
   * Runs a command on a channel of the connection, connecting first if
   * needed. `stdin` is written and the channel's input then stays open,
   * because ssh2 cannot signal a channel after end of input: the command
   * must know where its input ends (the bootstrap stops at its marker).
   * @throws SshError when the connection cannot be made or drops, the
   *   channel is refused, or the deadline passes before the command starts
   */
  async run(
    command: string,
    stdin: Buffer,
    options: RunOptions,
  ): Promise<RunResult> {
    checkDeadline(options.deadlineMs);
    const stop = this.startStop(options);

    try {
      const slot = this.slots.acquire(stop.signal);
      const release = await this.untilStopped(slot, stop).catch(
        (error: unknown) => {
          // The stop may win the race with a slot already granted: give
          // that slot back, or it is lost for good.
          slot.then(
            (granted) => {
              granted();
            },
            () => undefined,
          );
          throw error;
        },
      );
      try {
        // Connect only now: the connection may have dropped while we waited.
        const link = await this.untilStopped(this.ensureLink(), stop);
        return await this.execute(link, command, stdin, stop);
      } finally {
        release();
      }
    } finally {
      stop.dispose();
    }
  }

  /**
   * Closes the connection; commands still open on it fail. The session
   * cannot be used afterwards.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.pending?.catch(() => undefined);

    const link = this.link;
    this.link = undefined;
    if (link !== undefined) {
      await this.endLink(link);
    }
  }

  private ensureLink(): Promise<Link> {
    if (this.closed) {
      return Promise.reject(this.error("closed", "the session is closed"));
    }
    if (this.link !== undefined) {
      return Promise.resolve(this.link);
    }

    this.pending ??= this.openLink()
      .then((link) => this.adopt(link))
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async adopt(link: Link): Promise<Link> {
    if (this.closed) {
      await this.endLink(link);
      throw this.error("closed", "the session was closed while connecting");
    }
    if (!link.open) {
      throw this.lostError(link, false);
    }

    this.link = link;
    this.connects += 1;
    this.logger.debug(
      {
        event: "ssh_connected",
        host_key: this.verifiedKey,
        connect_count: this.connects,
      },
      `connected to ${this.target}`,
    );
    return link;
  }

  private openLink(): Promise<Link> {
    this.logger.debug(
      { event: "ssh_connecting" },
      `connecting to ${this.target}`,
    );
    const client = new Client();
    const link: Link = { client, open: false };
    let refusal: string | undefined;

    return new Promise<Link>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (!settled) {
          settled = true;
          reject(this.connectError(error, refusal));
        }
      };

      client.on("error", (error) => {
        if (link.open) {
          link.lostWith = error;
        } else {
          fail(error);
        }
      });
      client.once("ready", () => {
        settled = true;
        link.open = true;
        resolve(link);
      });
      client.on("close", () => {
        this.onLinkClosed(link);
        fail(new Error("the server closed the connection before login"));
      });

      try {
        client.connect(
          this.connectConfig((problem) => {
            refusal = problem;
          }),
        );
        // Commands and their answers are small packets: with Nagle's
        // algorithm on, each waits for the previous one's ACK, which cost
        // ~80 ms a submission (bench/results/benchmarks.md).
        client.setNoDelay(true);
      } catch (error) {
        settled = true;
        reject(this.configError(error));
      }
    });
  }

  private connectConfig(onRefused: (problem: string) => void): ConnectConfig {
    const o = this.options;
    const config: ConnectConfig = {
      host: o.host,
      port: o.port,
      username: o.username,
      privateKey: o.privateKey,
      keepaliveInterval: o.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: o.keepaliveCountMax ?? 3,
      readyTimeout: o.readyTimeoutMs ?? 20_000,
      hostVerifier: (key: Buffer) => this.verifyHostKey(key, onRefused),
    };
    if (o.passphrase !== undefined) {
      config.passphrase = o.passphrase;
    }
    return config;
  }

  private verifyHostKey(
    key: Buffer,
    onRefused: (problem: string) => void,
  ): boolean {
    const o = this.options;
    const problem = hostKeyProblem(o.hostKey, o.host, o.port, key);

    if (problem !== undefined) {
      onRefused(withExpected(problem, o.hostKey, o.host, o.port));
      return false;
    }
    this.verifiedKey = fingerprint(key);
    return true;
  }

  private onLinkClosed(link: Link): void {
    const wasOpen = link.open;
    link.open = false;
    if (this.link !== link) {
      return;
    }

    this.link = undefined;
    if (wasOpen && !this.closed) {
      this.logger.warn(
        { event: "ssh_connection_lost", error: link.lostWith?.message },
        `the connection to ${this.target} closed; the next command reconnects`,
      );
    }
  }

  private endLink(link: Link): Promise<void> {
    if (!link.open) {
      return Promise.resolve();
    }

    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => {
        link.client.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      link.client.once("close", () => {
        this.timers.clearTimeout(timer);
        resolve();
      });
      link.client.end();
    });
  }

  private execute(
    link: Link,
    command: string,
    stdin: Buffer,
    stop: Stop,
  ): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const run = new ChannelRun(this.timers, (channel) => {
        kill(channel);
      });
      run.onDone = (outcome) => {
        if (outcome.kind === "result") {
          resolve(outcome.result);
        } else if (outcome.kind === "refused") {
          reject(this.execError(outcome.error, link, outcome.requested));
        } else {
          reject(this.unfinishedError(link));
        }
      };
      stop.signal.addEventListener("abort", () => {
        run.stop();
      });
      if (stop.signal.aborted) {
        run.stop();
      }

      try {
        link.client.exec(command, (error, channel) => {
          if (error !== undefined) {
            run.refused(error, true);
          } else {
            run.started(channel, stdin);
          }
        });
      } catch (error) {
        // ssh2 throws before sending anything when the socket is gone.
        run.refused(toError(error), false);
      }
    });
  }

  private startStop(options: RunOptions): Stop {
    const controller = new AbortController();
    let why = "";
    const abort = (reason: string) => {
      why ||= reason;
      controller.abort();
    };

    const timer = this.timers.setTimeout(() => {
      abort(`the deadline of ${options.deadlineMs} ms passed`);
    }, options.deadlineMs);
    const onAbort = () => {
      abort("the caller aborted");
    };
    if (options.signal?.aborted === true) {
      onAbort();
    }
    options.signal?.addEventListener("abort", onAbort);

    return {
      signal: controller.signal,
      reason: () => why,
      dispose: () => {
        this.timers.clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      },
    };
  }

  private untilStopped<T>(work: Promise<T>, stop: Stop): Promise<T> {
    const stopped = () =>
      this.error("deadline", `${stop.reason()} before the command started`, {
        retryable: true,
      });
    if (stop.signal.aborted) {
      return Promise.reject(stopped());
    }

    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        reject(stopped());
      };
      stop.signal.addEventListener("abort", onAbort, { once: true });
      work.then(resolve, reject).finally(() => {
        stop.signal.removeEventListener("abort", onAbort);
      });
    });
  }

  private connectError(
    error: Error & { level?: string },
    refusal: string | undefined,
  ): SshError {
    if (refusal !== undefined) {
      this.logger.error(
        { event: "ssh_host_key_refused", detail: refusal },
        `refused the host key of ${this.target}`,
      );
      return this.error("host-key", `host key refused: ${refusal}`);
    }
    if (error.level === "client-authentication") {
      return this.error(
        "auth",
        "the server refused the private key (is its public key in the account's authorized_keys?)",
        { cause: error },
      );
    }
    if (error.level === "handshake") {
      return this.error(
        "connect",
        `the SSH handshake failed: ${error.message}`,
        {
          cause: error,
        },
      );
    }

    this.logger.warn(
      { event: "ssh_connect_failed", error: error.message },
      `could not connect to ${this.target}`,
    );
    return this.error("connect", `could not connect: ${error.message}`, {
      retryable: true,
      cause: error,
    });
  }

  private configError(error: unknown): SshError {
    // ssh2 throws here for a key it cannot parse or decrypt; its message
    // describes the problem without quoting the key.
    const reason = toError(error).message;
    return this.error("config", `the private key cannot be used: ${reason}`, {
      cause: error,
    });
  }

  private execError(
    error: Error & { reason?: unknown },
    link: Link,
    requested: boolean,
  ): SshError {
    // A channel open failure (it has a reason code) or a request never sent
    // ran nothing; otherwise the exec request may have reached the server
    // before the connection went.
    if (!link.open) {
      return this.lostError(link, requested && error.reason === undefined);
    }
    const what =
      error.reason === undefined
        ? `the server would not start the command: ${error.message}`
        : `the server refused to open a channel (${error.message}); it may allow fewer sessions per connection than maxChannels`;
    return this.error("channel", what, { retryable: true, cause: error });
  }

  private unfinishedError(link: Link): SshError {
    if (this.closed) {
      return this.error(
        "closed",
        "the session was closed while the command ran",
        {
          retryable: true,
          mayHaveRun: true,
        },
      );
    }
    if (!link.open) {
      return this.lostError(link, true);
    }
    return this.error(
      "channel",
      "the channel closed before the command reported its exit status",
      { retryable: true, mayHaveRun: true },
    );
  }

  private lostError(link: Link, mayHaveRun: boolean): SshError {
    const why = link.lostWith === undefined ? "" : `: ${link.lostWith.message}`;
    return this.error("connection-lost", `the connection dropped${why}`, {
      retryable: true,
      mayHaveRun,
      cause: link.lostWith,
    });
  }

  private error(
    kind: SshErrorKind,
    what: string,
    extra: { retryable?: boolean; mayHaveRun?: boolean; cause?: unknown } = {},
  ): SshError {
    return new SshError(what, {
      kind,
      target: this.target,
      retryable: extra.retryable ?? false,
      ...(extra.mayHaveRun === undefined
        ? {}
        : { mayHaveRun: extra.mayHaveRun }),
      ...(extra.cause === undefined ? {} : { cause: extra.cause }),
    });
  }
}

/** How one channel ended. */
type ChannelOutcome =
  | { kind: "result"; result: RunResult }
  | {
      kind: "refused";
      error: Error & { reason?: unknown };
      /** Whether the exec request was sent before it failed. */
      requested: boolean;
    }
  | { kind: "lost" };

/**
 * One command on one channel: collects its output and exit status, and
 * kills it when stopped, even if the stop comes before the channel opens.
 */
class ChannelRun {
  onDone: (outcome: ChannelOutcome) => void = () => undefined;

  private readonly timers: Timers;
  private readonly killChannel: (channel: ClientChannel) => void;
  private readonly stdout = new CappedOutput();
  private readonly stderr = new CappedOutput();
  private channel: ClientChannel | undefined;
  private exit: { code: number | null; signal: string | null } | undefined;
  private stopped = false;
  private done = false;
  private graceTimer: unknown;

  constructor(timers: Timers, kill: (channel: ClientChannel) => void) {
    this.timers = timers;
    this.killChannel = kill;
  }

  started(channel: ClientChannel, stdin: Buffer): void {
    this.channel = channel;
    channel.on("data", (chunk: Buffer) => {
      this.stdout.push(chunk);
    });
    channel.stderr.on("data", (chunk: Buffer) => {
      this.stderr.push(chunk);
    });
    channel.on("exit", (code: number | null, signal?: string) => {
      this.exit = { code, signal: signal ?? null };
    });
    channel.on("close", () => {
      this.finish();
    });
    // A write racing the channel's close can fail; the close that follows
    // settles the run, so the error itself needs no handling.
    channel.on("error", () => undefined);

    channel.write(stdin);
    // Stopped while the server was starting it: kill it now, even if the
    // run has already given up waiting for it.
    if (this.stopped) {
      this.killChannel(channel);
    }
  }

  refused(error: Error, requested: boolean): void {
    this.settle({ kind: "refused", error, requested });
  }

  stop(): void {
    if (this.stopped || this.done) {
      return;
    }
    this.stopped = true;

    if (this.channel !== undefined) {
      this.killChannel(this.channel);
    }
    // The server may never confirm: the connection can go quiet, or hang
    // before it answers the exec request. The run ends regardless.
    this.graceTimer = this.timers.setTimeout(() => {
      this.finish();
    }, CLOSE_GRACE_MS);
  }

  private finish(): void {
    // A command that reported a normal exit status finished on its own, even
    // if the deadline passed while that status was on its way.
    const exitedNormally = this.exit !== undefined && this.exit.code !== null;
    if (this.exit === undefined && !this.stopped) {
      this.settle({ kind: "lost" });
      return;
    }

    this.settle({
      kind: "result",
      result: {
        exitCode: this.exit?.code ?? null,
        signal: this.exit?.signal ?? null,
        stdout: this.stdout.text(),
        stderr: this.stderr.text(),
        timedOut: this.stopped && !exitedNormally,
        truncated: this.stdout.truncated || this.stderr.truncated,
      },
    });
  }

  private settle(outcome: ChannelOutcome): void {
    if (this.done) {
      return;
    }
    this.done = true;
    this.timers.clearTimeout(this.graceTimer);
    this.onDone(outcome);
  }
}

/** A stream's output up to {@link MAX_OUTPUT_BYTES}; the rest is dropped. */
class CappedOutput {
  truncated = false;

  private readonly chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): void {
    const room = MAX_OUTPUT_BYTES - this.size;
    if (chunk.length > room) {
      this.truncated = true;
    }

    const kept = chunk.subarray(0, Math.max(room, 0));
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/**
 * A first-come, first-served limit on the channels open at once, so that a
 * burst of commands does not exceed the server's MaxSessions.
 */
class ChannelSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(
        `maxChannels ${size} is not allowed (expected a whole number of at least 1)`,
      );
    }
    this.free = size;
  }

  /**
   * Waits for a free channel; the returned function gives it back. A wait
   * that is aborted leaves the queue, so its slot goes to the next caller.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", leave);
        let released = false;
        resolve(() => {
          if (!released) {
            released = true;
            this.release();
          }
        });
      };
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(new Error("stopped while waiting for a channel"));
      };

      if (this.free > 0) {
        this.free -= 1;
        grant();
      } else {
        this.waiting.push(grant);
        signal.addEventListener("abort", leave, { once: true });
      }
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next === undefined) {
      this.free += 1;
    } else {
      next();
    }
  }
}

/** Kills a command with its whole process group, then closes the channel. */
function kill(channel: ClientChannel): void {
  // OpenSSH delivers a signal request with killpg() to the session's process
  // group, so the command's children die with it.
  channel.signal("KILL");
  channel.close();
}

function checkDeadline(deadlineMs: number): void {
  if (
    !Number.isFinite(deadlineMs) ||
    deadlineMs <= 0 ||
    deadlineMs > LONGEST_DEADLINE_MS
  ) {
    throw new RangeError(
      `deadlineMs ${deadlineMs} is not allowed (expected milliseconds from the call, more than 0 and at most ${LONGEST_DEADLINE_MS})`,
    );
  }
}

/** Adds the fingerprints the policy expects to a host-key refusal. */
function withExpected(
  problem: string,
  policy: HostKeyPolicy,
  host: string,
  port: number,
): string {
  if (policy.kind === "fingerprint") {
    return problem;
  }

  const name = hostLookupName(host, port);
  const expected = policy.entries
    .filter((e) => !e.revoked && entryMatches(e, name))
    .map((e) => fingerprint(e.key));
  return expected.length === 0
    ? problem
    : `${problem} (expected ${expected.join(" or ")})`;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
