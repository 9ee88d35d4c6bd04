import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The state of a job as `scontrol` reports it (the stack keeps finished jobs
 * for an hour), or undefined when SLURM does not know it.
 */
export function jobState(jobId: string): string | undefined {
  try {
    const out = execFileSync("scontrol", ["show", "job", jobId], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return /JobState=(\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"]);

/** Waits, at most `timeoutMs`, for a job to reach a final state. */
export async function waitForJob(
  jobId: string,
  timeoutMs = 30_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let state = jobState(jobId);
  while (Date.now() < deadline) {
    if (state !== undefined && FINAL.has(state)) {
      return state;
    }
    await sleep(200);
    state = jobState(jobId);
  }
  throw new Error(
    `job ${jobId} did not finish within ${timeoutMs} ms (last state ${state ?? "unknown"})`,
  );
}

/** Job ids of every job SLURM knows with this name. */
export function jobsNamed(name: string): string[] {
  const out = execFileSync(
    "squeue",
    ["-h", "--states=all", "--name", name, "-o", "%i"],
    { encoding: "utf8" },
  );
  return out.split("\n").filter((line) => line !== "");
}
