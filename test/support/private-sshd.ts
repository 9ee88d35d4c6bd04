/**
 * A second sshd of the stack's, on a port and log of its own, for tests that
 * must show what did or did not reach sshd without other tests' connections
 * in the same log.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { stack } from "./stack.js";

/** A running private sshd. */
export interface PrivateSshd {
  port: number;
  /** A known_hosts file naming this sshd's port. */
  knownHostsPath: string;
  /** What sshd has logged so far. */
  log: () => string;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
  });
}

/** Starts an sshd with the stack's host key and users on a free port. */
export async function startPrivateSshd(name: string): Promise<PrivateSshd> {
  const s = stack();
  const port = await freePort();
  const logFile = join(s.stateDir, `sshd-${name}-${String(port)}.log`);
  const pidFile = join(s.stateDir, `sshd-${name}-${String(port)}.pid`);
  rmSync(logFile, { force: true });
  const knownHostsPath = join(s.stateDir, `known_hosts-${String(port)}`);
  const hostKey = readFileSync(join(s.stateDir, "ssh", "host_key.pub"), "utf8");
  const [type, key] = hostKey.split(" ");
  writeFileSync(
    knownHostsPath,
    `[127.0.0.1]:${String(port)} ${type ?? ""} ${key ?? ""}\n`,
  );

  execFileSync("/usr/sbin/sshd", [
    "-f",
    s.sshdConfig,
    "-o",
    `Port=${String(port)}`,
    "-o",
    `PidFile=${pidFile}`,
    "-E",
    logFile,
  ]);
  for (let i = 0; i < 50 && !existsSync(pidFile); i++) {
    await sleep(100);
  }

  return {
    port,
    knownHostsPath,
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    stop: async () => {
      if (existsSync(pidFile)) {
        process.kill(Number(readFileSync(pidFile, "utf8")), "SIGTERM");
      }
      for (let i = 0; i < 50 && existsSync(pidFile); i++) {
        await sleep(100);
      }
    },
  };
}
