import type { HostKeyPolicy } from "./host-key.js";
import type { Logger } from "./logger.js";
import { targetName, type SshTarget } from "./routes.js";
import { SshSession } from "./ssh-session.js";

/** What every connection shares: the key and the host-key policy. */
export interface SshCredentials {
  privateKey: Buffer;
  hostKey: HostKeyPolicy;
}

/**
 * One reused SSH session per cluster account (host, port and user), opened
 * on first use.
 */
export class SshPool {
  private readonly sessions = new Map<string, SshSession>();
  private readonly credentials: SshCredentials;
  private readonly logger: Logger;

  constructor(credentials: SshCredentials, logger: Logger) {
    this.credentials = credentials;
    this.logger = logger;
  }

  /** The session for a target, created on first use. */
  session(target: SshTarget): SshSession {
    const key = targetName(target);
    let session = this.sessions.get(key);

    if (session === undefined) {
      session = new SshSession({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: this.credentials.privateKey,
        hostKey: this.credentials.hostKey,
        logger: this.logger.child({ ssh_target: key }),
      });
      this.sessions.set(key, session);
    }
    return session;
  }

  /** Whether every session opened so far is connected. */
  allReady(): boolean {
    return [...this.sessions.values()].every((s) => s.isReady());
  }

  /** Closes every session. */
  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
  }
}
