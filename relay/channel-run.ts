/**
 * One command on one channel of an SSH connection: its output, how it
 * ended, and killing it when its run is stopped.
 */
import type { ClientChannel } from "ssh2";

import type { Timers } from "./timers.js";

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
  /**
   * A stream was longer than {@link MAX_OUTPUT_BYTES}, and its start was
   * dropped.
   */
  truncated: boolean;
}

/**
 * The most of each of stdout and stderr that a run keeps: the last bytes,
 * since the ledger's answer and sbatch's words come at the end.
 */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

/** How one channel ended. */
export type ChannelOutcome =
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
export class ChannelRun {
  /** Called once, with how the channel ended. */
  onDone: (outcome: ChannelOutcome) => void = () => undefined;

  private readonly timers: Timers;
  private readonly graceMs: number;
  private readonly stdout = new CappedOutput();
  private readonly stderr = new CappedOutput();
  private channel: ClientChannel | undefined;
  private exit: { code: number | null; signal: string | null } | undefined;
  private stopped = false;
  private done = false;
  private graceTimer: unknown;

  /**
   * @param graceMs - how long a stopped run waits for the server to confirm
   *   that the channel closed
   */
  constructor(timers: Timers, graceMs: number) {
    this.timers = timers;
    this.graceMs = graceMs;
  }

  /** The server opened the channel: sends `stdin` and follows the command. */
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
      kill(channel);
    }
  }

  /** The channel could not be opened or the command not started. */
  refused(error: Error, requested: boolean): void {
    this.settle({ kind: "refused", error, requested });
  }

  /** Kills the command, or will kill it once its channel opens. */
  stop(): void {
    if (this.stopped || this.done) {
      return;
    }
    this.stopped = true;

    if (this.channel !== undefined) {
      kill(this.channel);
    }
    // The server may never confirm: the connection can go quiet, or hang
    // before it answers the exec request. The run ends regardless.
    this.graceTimer = this.timers.setTimeout(() => {
      this.finish();
    }, this.graceMs);
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

/** The last {@link MAX_OUTPUT_BYTES} of a stream; the start is dropped. */
class CappedOutput {
  truncated = false;

  private readonly chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;

    while (this.size > MAX_OUTPUT_BYTES) {
      this.truncated = true;
      const first = this.chunks[0] ?? Buffer.alloc(0);
      const excess = this.size - MAX_OUTPUT_BYTES;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** Kills a command with its whole process group, then closes the channel. */
function kill(channel: ClientChannel): void {
  // OpenSSH delivers a signal request with killpg() to the session's process
  // group, so the command's children die with it.
  channel.signal("KILL");
  channel.close();
}
