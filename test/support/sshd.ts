/**
 * An sshd of a test's own, with the stack's configuration, host key and
 * user but its own port, pid file and log, so that a test can stop it,
 * start it again and cut its connections without touching the stack's sshd
 * that other tests share. Also: reading processes and sockets from /proc.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { stack } from "./stack.js";

/** A private sshd on a port that stays the same across restarts. */
export class TestSshd {
  readonly port: number;
  /** A known_hosts file that names this sshd's port. */
  readonly knownHostsPath: string;
  readonly logPath: string;
  private readonly pidFile: string;
  private readonly extraHostKeys: string[];

  private constructor(name: string, port: number, extraHostKeys: string[]) {
    const dir = stack().stateDir;
    this.extraHostKeys = extraHostKeys;
    this.port = port;
    this.knownHostsPath = join(dir, `known_hosts-${name}-${port}`);
    this.logPath = join(dir, `sshd-${name}-${port}.log`);
    this.pidFile = join(dir, `sshd-${name}-${port}.pid`);
  }

  /**
   * Starts an sshd on a free loopback port. Its known_hosts file lists the
   * stack's host key only, whatever `extraHostKeys` (private key files) it
   * also presents.
   */
  static async start(
    name: string,
    extraHostKeys: string[] = [],
  ): Promise<TestSshd> {
    const sshd = new TestSshd(name, await freePort(), extraHostKeys);
    const [type = "", key = ""] = readFileSync(
      join(stack().stateDir, "ssh", "host_key.pub"),
      "utf8",
    ).split(" ");
    writeFileSync(
      sshd.knownHostsPath,
      `[127.0.0.1]:${sshd.port} ${type} ${key}\n`,
    );
    rmSync(sshd.logPath, { force: true });

    // A test whose setup fails never calls stop(), so the sshd is stopped
    // here rather than left listening.
    await sshd.resume().catch(async (error: unknown) => {
      await sshd.stop();
      throw error;
    });
    return sshd;
  }

  /** The pid of the listener, or undefined when it is not running. */
  pid(): number | undefined {
    if (!existsSync(this.pidFile)) {
      return undefined;
    }
    const pid = Number(readFileSync(this.pidFile, "utf8").trim());
    return processAlive(pid) ? pid : undefined;
  }

  /** Starts the listener again (on the same port) unless it runs. */
  async resume(): Promise<void> {
    if (this.pid() !== undefined) {
      return;
    }

    // sshd re-executes itself after chdir /, so every path is absolute.
    execFileSync("/usr/sbin/sshd", [
      "-f",
      stack().sshdConfig,
      "-o",
      `Port=${this.port}`,
      "-o",
      `PidFile=${this.pidFile}`,
      ...this.extraHostKeys.flatMap((key) => ["-o", `HostKey=${key}`]),
      "-E",
      this.logPath,
    ]);
    let probePort: number | undefined;
    await waitFor(async () => {
      probePort = await probe(this.port);
      return probePort !== undefined;
    }, `sshd on port ${this.port}`);
    // The probe is logged by a child of sshd a moment later ("Connection
    // closed by" or "reset by"); waiting for that last line lets a test count
    // every later connection as its own.
    const probeEnd = new RegExp(`by 127\\.0\\.0\\.1 port ${probePort}\\b`);
    await waitFor(
      () => probeEnd.test(this.log()),
      `sshd on port ${this.port} to log its readiness probe`,
    );
  }

  /**
   * Stops the listener. Open connections keep their own sshd processes, as
   * with a real `systemctl restart sshd`.
   */
  async pause(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) {
      return;
    }

    process.kill(pid, "SIGTERM");
    await waitFor(
      async () => !processAlive(pid) && !(await portOpen(this.port)),
      `sshd on port ${this.port} to stop`,
    );
  }

  /**
   * Kills, as a crash or a cut cable would, the sshd processes serving the
   * open connections.
   * @returns how many processes were killed
   */
  dropConnections(): number {
    const inodes = new Set(
      tcpSockets()
        .filter((t) => t.localPort === this.port && t.state === ESTABLISHED)
        .map((t) => t.inode),
    );

    const pids = processesHolding(inodes);
    for (const pid of pids) {
      process.kill(pid, "SIGKILL");
    }
    return pids.length;
  }

  /** What this sshd has logged so far. */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, "utf8") : "";
  }

  /** How many logins sshd has accepted so far. */
  acceptedLogins(): number {
    return this.log()
      .split("\n")
      .filter((l) => l.includes("Accepted publickey")).length;
  }

  /** Stops the listener and every connection. */
  async stop(): Promise<void> {
    await this.pause();
    this.dropConnections();
    rmSync(this.knownHostsPath, { force: true });
  }
}

/** The local ports of this process's open connections to `port`. */
export function ownConnectionPorts(port: number): number[] {
  const own = socketInodes(process.pid);

  return tcpSockets()
    .filter((t) => own.has(t.inode) && t.remotePort === port)
    .filter((t) => t.state === ESTABLISHED)
    .map((t) => t.localPort);
}

/**
 * Whether a process runs. A zombie counts as gone: it has exited and only
 * waits for a parent to collect its status.
 */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.charAt(stat.lastIndexOf(")") + 2);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Polls `check` every 50 ms; fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) {
      return;
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
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

async function portOpen(port: number): Promise<boolean> {
  return (await probe(port)) !== undefined;
}

/** Connects and closes at once; the connection's local port, if it opened. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      const localPort = socket.localPort;
      socket.destroy();
      resolve(localPort);
    });
    socket.once("error", () => {
      resolve(undefined);
    });
  });
}

const ESTABLISHED = 1;

interface TcpSocket {
  localPort: number;
  remotePort: number;
  state: number;
  inode: string;
}

// /proc/net/tcp: "sl local rem st ... inode", addresses as HEXIP:HEXPORT.
function tcpSockets(): TcpSocket[] {
  const lines = readFileSync("/proc/net/tcp", "utf8").trim().split("\n");

  return lines.slice(1).map((line) => {
    const fields = line.trim().split(/\s+/);
    return {
      localPort: hexPort(fields[1]),
      remotePort: hexPort(fields[2]),
      state: parseInt(fields[3] ?? "0", 16),
      inode: fields[9] ?? "",
    };
  });
}

function hexPort(address: string | undefined): number {
  return parseInt(address?.split(":")[1] ?? "0", 16);
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    // The process exited while we looked.
    return inodes;
  }

  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined) {
        inodes.add(inode);
      }
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return inodes;
}

function processesHolding(inodes: Set<string>): number[] {
  if (inodes.size === 0) {
    return [];
  }

  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid)
    .filter((pid) => [...socketInodes(pid)].some((i) => inodes.has(i)));
}
