/**
 * A relay daemon (the built `bii-relay run`) running against the local stack
 * for the length of a test, its JSON log collected as it goes, so a test can
 * wait for an event, read the HTTP endpoint's address, and stop it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { jsonLines } from "./relay-env.js";
import { repoRoot } from "./stack.js";

/** One JSON log line. */
export type LogLine = Record<string, unknown>;

const POLL_MS = 50;

// Relays a failed test never stopped. They are killed when the test process
// exits, and hold nothing that would keep it from exiting, so one failure
// cannot leave the test run hanging.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) {
    child.kill("SIGKILL");
  }
});

/** A running relay; always stop() it, in afterAll or finally. */
export class RelayProcess {
  private readonly child: ChildProcess;
  private stdout = "";
  private stderr = "";
  private exit: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on("data", (d: Buffer) => (this.stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exit = new Promise((resolve) => {
      child.once("close", (code) => {
        resolve(code);
      });
    });
  }

  /**
   * Starts `bii-relay run` (or other arguments) with exactly this
   * environment; relayEnv() builds one for the stack.
   */
  static start(env: Record<string, string>, args = ["run"]): RelayProcess {
    const cli = join(repoRoot, "build", "relay", "cli.js");
    const child = spawn(process.execPath, [cli, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    child.once("close", () => running.delete(child));
    for (const handle of [child, child.stdout, child.stderr]) {
      (handle as { unref?: () => void } | null)?.unref?.();
    }
    return new RelayProcess(child);
  }

  /** The process id, for tests that look at its sockets. */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Every JSON log line so far. */
  logs(): LogLine[] {
    return jsonLines(this.stdout);
  }

  /** Everything printed so far, on both streams. */
  output(): string {
    return `${this.stdout}${this.stderr}`;
  }

  /** Log lines with this `event` key, optionally filtered further. */
  events(
    event: string,
    match: (line: LogLine) => boolean = () => true,
  ): LogLine[] {
    return this.logs().filter((l) => l.event === event && match(l));
  }

  /**
   * Waits until `count` lines with this event have been logged.
   * @throws when they do not appear within `timeoutMs`, or the relay exits
   */
  async waitForEvents(
    event: string,
    count = 1,
    timeoutMs = 30_000,
    match: (line: LogLine) => boolean = () => true,
  ): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events(event, match);
      if (found.length >= count) {
        return found;
      }
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `the relay logged ${found.length} of ${count} '${event}' events within ${timeoutMs} ms (exit code ${String(this.child.exitCode)}); its output:\n${this.output()}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** The HTTP endpoint's URL, once the relay logs `http_listening`. */
  async httpUrl(timeoutMs = 15_000): Promise<string> {
    const [line] = await this.waitForEvents("http_listening", 1, timeoutMs);
    return String(line?.url);
  }

  /** Sends a signal now, without waiting. */
  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  /** Waits for the process to exit, at most `timeoutMs`. */
  async exited(timeoutMs = 60_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`the relay did not exit within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exit, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends SIGTERM and waits for the exit; SIGKILL after `timeoutMs`.
   * @returns the exit code (null when killed)
   */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
    }
    const timer = setTimeout(() => {
      this.child.kill("SIGKILL");
    }, timeoutMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }
}
