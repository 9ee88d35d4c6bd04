import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

// Linux reports utime and stime in clock ticks of 1/100 s on every
// architecture Node supports.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user plus system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
  // Fields after the command name, which may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/** The share of one core a process used over the next `ms`. */
export async function cpuShare(pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid);
  await sleep(ms);
  return (cpuSeconds(pid) - before) / (ms / 1000);
}
