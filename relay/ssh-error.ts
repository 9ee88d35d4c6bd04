/**
 * The one error type of the SSH layer: what failed, against which target,
 * whether trying again later can help, and whether the command may already
 * have run on the cluster.
 */

/** What went wrong, so callers can decide without parsing messages. */
export type SshErrorKind =
  /** The server's host key is not the one configured. */
  | "host-key"
  /** The server refused the private key. */
  | "auth"
  /** The private key or another setting cannot be used. */
  | "config"
  /** The connection could not be made (refused, reset, timed out). */
  | "connect"
  /** The connection dropped while a command was open. */
  | "connection-lost"
  /** The server would not open a channel or start the command. */
  | "channel"
  /** The deadline passed or the caller aborted before the command started. */
  | "deadline"
  /** The session was closed by its owner. */
  | "closed";

/** Details of an {@link SshError}. */
export interface SshErrorDetails {
  kind: SshErrorKind;
  /** `user@host:port`. */
  target: string;
  /** Whether the same call may succeed later (the caller backs off). */
  retryable: boolean;
  /**
   * Whether the command may have started on the cluster before the failure,
   * so that running it again could run it twice.
   */
  mayHaveRun?: boolean;
  cause?: unknown;
}

/** A failure of the SSH layer; the message names the target. */
export class SshError extends Error {
  readonly kind: SshErrorKind;
  readonly target: string;
  readonly retryable: boolean;
  readonly mayHaveRun: boolean;

  constructor(what: string, details: SshErrorDetails) {
    super(
      `ssh ${details.target}: ${what}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = "SshError";
    this.kind = details.kind;
    this.target = details.target;
    this.retryable = details.retryable;
    this.mayHaveRun = details.mayHaveRun ?? false;
  }
}
