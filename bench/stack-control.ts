/**
 * Starts the local stack for a benchmark run when it is not running, and
 * stops it afterwards only if this run started it: a stack someone else
 * started (a test run kept alive, a demo) is left as it was.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

import { repoRoot } from "../test/support/stack.js";

const STACK_SCRIPT = join(repoRoot, "stack", "stack.sh");

function stackCommand(verb: "up" | "down"): void {
  execFileSync("bash", [STACK_SCRIPT, verb], { stdio: "inherit" });
}

/**
 * Brings the stack up (idempotent: it starts only what is not running).
 * @returns whether the stack was down before, so the caller stops it
 */
export function ensureStack(): boolean {
  // stack.json exists from `up` until `down`: without it nothing runs.
  const wasDown = !existsSync(join(repoRoot, ".stack", "stack.json"));
  stackCommand("up");
  return wasDown;
}

/** Stops the stack. */
export function stopStack(): void {
  stackCommand("down");
}
