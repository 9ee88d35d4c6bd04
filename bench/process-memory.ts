import { readFileSync } from "node:fs";

/**
 * A process's resident set size in megabytes (10^6 bytes, the targets'
 * unit), from /proc/PID/status (VmRSS, which the kernel gives in KiB).
 * @throws when the process is gone or the kernel does not report it
 */
export function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${String(pid)}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) {
    throw new Error(`/proc/${String(pid)}/status has no VmRSS line`);
  }
  return (Number(kib) * 1024) / 1e6;
}
