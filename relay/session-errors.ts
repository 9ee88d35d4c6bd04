/**
 * The errors an SSH session raises, built from what ssh2 reported and what
 * the session knows of its connection. Each names the session's target.
 */
import { SshError, type SshErrorKind } from "./ssh-error.js";

/** Whether a connection is still open, and the error it was lost with. */
export interface ConnectionState {
  open: boolean;
  lostWith?: Error;
}

/** What an error adds to its kind and message. */
interface ErrorExtra {
  retryable?: boolean;
  mayHaveRun?: boolean;
  cause?: unknown;
}

/** Builds the {@link SshError}s of one session. */
export class SessionErrors {
  /** `user@host:port`, as the errors name it. */
  readonly target: string;

  constructor(target: string) {
    this.target = target;
  }

  /** An error of this kind; it is not retryable unless `extra` says so. */
  make(kind: SshErrorKind, what: string, extra: ErrorExtra = {}): SshError {
    return new SshError(what, {
      kind,
      target: this.target,
      retryable: extra.retryable ?? false,
      ...(extra.mayHaveRun === undefined
        ? {}
        : { mayHaveRun: extra.mayHaveRun }),
      ...(extra.cause === undefined ? {} : { cause: extra.cause }),
    });
  }

  /**
   * Why a connection could not be made: the host key was refused (the
   * `refusal` says why), the private key was refused, the handshake failed,
   * or the connection itself failed, which alone may pass.
   */
  connect(
    error: Error & { level?: string },
    refusal: string | undefined,
  ): SshError {
    if (refusal !== undefined) {
      return this.make("host-key", `host key refused: ${refusal}`);
    }
    if (error.level === "client-authentication") {
      return this.make(
        "auth",
        "the server refused the private key (is its public key in the account's authorized_keys?)",
        { cause: error },
      );
    }
    if (error.level === "handshake") {
      return this.make(
        "connect",
        `the SSH handshake failed: ${error.message}`,
        { cause: error },
      );
    }

    return this.make("connect", `could not connect: ${error.message}`, {
      retryable: true,
      cause: error,
    });
  }

  /** The private key cannot be used: ssh2's connect() threw `error`. */
  config(error: unknown): SshError {
    // ssh2's connect() throws for a key it cannot parse or decrypt; its
    // message describes the problem without quoting the key.
    const reason = error instanceof Error ? error.message : String(error);
    return this.make("config", `the private key cannot be used: ${reason}`, {
      cause: error,
    });
  }

  /**
   * Why a command could not be started: the server refused the channel or
   * the command, or the connection dropped, perhaps once it had started.
   * @param requested - whether the exec request was sent before it failed
   */
  exec(
    error: Error & { reason?: unknown },
    link: ConnectionState,
    requested: boolean,
  ): SshError {
    // A channel open failure (it has a reason code) or a request never sent
    // ran nothing; otherwise the exec request may have reached the server
    // before the connection went.
    if (!link.open) {
      return this.lost(link, requested && error.reason === undefined);
    }
    const what =
      error.reason === undefined
        ? `the server would not start the command: ${error.message}`
        : `the server refused to open a channel (${error.message}); it may allow fewer sessions per connection than maxChannels`;
    return this.make("channel", what, { retryable: true, cause: error });
  }

  /**
   * Why a started command ended without an exit status: the session was
   * closed, the connection dropped, or the channel closed on its own.
   */
  unfinished(link: ConnectionState, sessionClosed: boolean): SshError {
    if (sessionClosed) {
      return this.make(
        "closed",
        "the session was closed while the command ran",
        { retryable: true, mayHaveRun: true },
      );
    }
    if (!link.open) {
      return this.lost(link, true);
    }
    return this.make(
      "channel",
      "the channel closed before the command reported its exit status",
      { retryable: true, mayHaveRun: true },
    );
  }

  /** The connection dropped, with the error it dropped with if any. */
  lost(link: ConnectionState, mayHaveRun: boolean): SshError {
    const why = link.lostWith === undefined ? "" : `: ${link.lostWith.message}`;
    return this.make("connection-lost", `the connection dropped${why}`, {
      retryable: true,
      mayHaveRun,
      cause: link.lostWith,
    });
  }
}
