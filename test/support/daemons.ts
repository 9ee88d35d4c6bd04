/**
 * Stopping and starting the stack's shared daemons, for the fault tests
 * (which run one at a time, after the other tests, for this reason).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

import { processAlive } from "./sshd.js";
import { stack } from "./stack.js";

function pidIn(file: string): number {
  return Number(readFileSync(file, "utf8").trim());
}

/** Kills slurmctld and waits for it to go. */
export async function stopSlurmctld(): Promise<void> {
  const pid = pidIn(stack().slurmctldPidFile);
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && processAlive(pid); i++) {
    await sleep(100);
  }
}

/** Starts slurmctld again with its saved state, and waits for it. */
export async function startSlurmctld(): Promise<void> {
  execFileSync("/usr/sbin/slurmctld", []);
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync("scontrol", ["ping"], { stdio: "ignore" });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error("slurmctld did not answer within 10 s of starting");
}

/** Freezes (SIGSTOP) or thaws (SIGCONT) the SQS server. */
export function freezeSqs(frozen: boolean): void {
  process.kill(pidIn(stack().sqsPidFile), frozen ? "SIGSTOP" : "SIGCONT");
}
