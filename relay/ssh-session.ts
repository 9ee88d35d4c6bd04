/**
 * One persistent SSH connection to one cluster account, shared by every
 * command sent there. Commands run on channels of that connection (SSH
 * multiplexes them); a dropped connection is opened again by the next
 * command. The host key is always verified: there is no accept-any mode.
 */
import { Client, type ConnectConfig } from "ssh2";

import { ChannelRun, type RunResult } from "./channel-run.js";
import { ChannelSlots } from "./channel-slots.js";
import {
  fingerprint,
  hostKeyAlgorithms,
  hostKeyProblem,
  withExpected,
  type HostKeyPolicy,
} from "./host-key.js";
import { SessionErrors } from "./session-errors.js";
import type { SshError } from "./ssh-error.js";
import { systemTimers, type Timers } from "./timers.js";

export { MAX_OUTPUT_BYTES, type RunResult } from "./channel-run.js";
export type { Timers } from "./timers.js";

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
   * In milliseconds: how long run() may wait for a channel and the
   * connection, and then, counted afresh from the exec request, how long
   * the command may run. When the wait's share passes, nothing has started;
   * when the command's passes, it is killed on the cluster.
   */
  deadlineMs: number;
  /** Aborting kills the command like the deadline does. */
  signal?: AbortSignal;
}

// How long to wait for the server to confirm a killed channel closed before
// giving up on it: a connection that has gone quiet may never confirm.
const CLOSE_GRACE_MS = 5000;

const LONGEST_DEADLINE_MS = 7 * 24 * 3600 * 1000;

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
  /** Starts the deadline again from now. */
  restart(): void;
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
  private readonly errors: SessionErrors;
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
    this.errors = new SessionErrors(this.target);
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
        // The command gets its whole deadline, however long the wait was:
        // a kill sent early could land after sbatch but before the ledger
        // records the job (the cluster's own `timeout` must act first).
        stop.restart();
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
      return Promise.reject(
        this.errors.make("closed", "the session is closed"),
      );
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
      throw this.errors.make(
        "closed",
        "the session was closed while connecting",
      );
    }
    if (!link.open) {
      throw this.errors.lost(link, false);
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
        reject(this.errors.config(error));
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
    const serverHostKey = hostKeyAlgorithms(o.hostKey, o.host, o.port);
    if (serverHostKey !== undefined) {
      config.algorithms = { serverHostKey };
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
      const run = new ChannelRun(this.timers, CLOSE_GRACE_MS);
      run.onDone = (outcome) => {
        if (outcome.kind === "result") {
          resolve(outcome.result);
        } else if (outcome.kind === "refused") {
          reject(this.errors.exec(outcome.error, link, outcome.requested));
        } else {
          reject(this.errors.unfinished(link, this.closed));
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

    const expire = () => {
      abort(`the deadline of ${options.deadlineMs} ms passed`);
    };
    let timer = this.timers.setTimeout(expire, options.deadlineMs);
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
      restart: () => {
        this.timers.clearTimeout(timer);
        timer = this.timers.setTimeout(expire, options.deadlineMs);
      },
      dispose: () => {
        this.timers.clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      },
    };
  }

  private untilStopped<T>(work: Promise<T>, stop: Stop): Promise<T> {
    const stopped = () =>
      this.errors.make(
        "deadline",
        `${stop.reason()} before the command started`,
        { retryable: true },
      );
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
    const failure = this.errors.connect(error, refusal);
    if (refusal !== undefined) {
      this.logger.error(
        { event: "ssh_host_key_refused", detail: refusal },
        `refused the host key of ${this.target}`,
      );
    } else if (failure.retryable) {
      // A failure that may pass is a warning: the caller backs off and tries
      // again.
      this.logger.warn(
        { event: "ssh_connect_failed", error: error.message },
        `could not connect to ${this.target}`,
      );
    }
    return failure;
  }
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

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
