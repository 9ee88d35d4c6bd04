/**
 * One submission as the cluster sees it: the command line and standard
 * input sent over SSH for an accepted message, and what its result means.
 * Pure: the processor does the I/O.
 */
import { controllerUnreachable } from "./availability.js";
import type { JobRequest } from "./inbound.js";
import { jobCommand } from "./job-command.js";
import { commandOutput, ledgerAnswer, withLedger } from "./ledger.js";
import { buildRemoteCommand, encodeEnvironment } from "./remote-command.js";
import { SshError } from "./ssh-error.js";
import type { RunResult } from "./ssh-session.js";

/** What to send: a command line from configuration, values on stdin. */
export interface RemoteInvocation {
  command: string;
  stdin: Buffer;
}

/** How a submission ended, before the message is settled. */
export type SubmissionResult =
  | { kind: "submitted"; jobId: string; duplicate: boolean; warning?: string }
  | { kind: "in-progress" }
  | { kind: "failed"; error: string; unavailable: boolean };

/**
 * The invocation for an accepted message, under the ledger and a timeout.
 * @throws Error when a value cannot be sent (the contract keeps such
 *   messages out; this is the second line of defence)
 */
export function remoteInvocation(
  request: JobRequest,
  messageId: string,
  settings: { ledgerDir: string; jobTimeoutSeconds: number },
): RemoteInvocation {
  const timeout = settings.jobTimeoutSeconds;
  const job = jobCommand(request, messageId);

  const command = withLedger(
    settings.ledgerDir,
    request.eventKey,
    // The claim of a command that timeout has killed is stale by then.
    timeout + 60,
    buildRemoteCommand({
      argv: job.argv,
      appendVersion: job.appendVersion,
      timeoutSeconds: timeout,
    }),
  );
  return { command, stdin: encodeEnvironment(job.env) };
}

/** What a finished remote command means. */
export function interpretResult(result: RunResult): SubmissionResult {
  const answer = ledgerAnswer(result.stdout);

  if (answer.kind === "duplicate") {
    return { kind: "submitted", jobId: answer.jobId, duplicate: true };
  }
  if (answer.kind === "claimed-elsewhere") {
    return { kind: "in-progress" };
  }
  if (answer.kind === "ran" && answer.jobId !== undefined) {
    // A job id means the job exists, whatever the script did after sbatch.
    return result.exitCode === 0
      ? { kind: "submitted", jobId: answer.jobId, duplicate: false }
      : {
          kind: "submitted",
          jobId: answer.jobId,
          duplicate: false,
          warning: failureText(result),
        };
  }

  const output = `${result.stderr}\n${commandOutput(result.stdout)}`;
  return {
    kind: "failed",
    error: failureText(result),
    unavailable: controllerUnreachable(output),
  };
}

/** What a submission that threw means. */
export function interpretError(error: unknown): SubmissionResult {
  const message = error instanceof Error ? error.message : String(error);
  // Only a connection that could not be made or was lost says the cluster
  // is away; waiting for a channel or a refused key does not.
  const unavailable =
    error instanceof SshError &&
    (error.kind === "connect" || error.kind === "connection-lost");
  return { kind: "failed", error: message, unavailable };
}

function failureText(result: RunResult): string {
  if (result.timedOut) {
    return "the command did not finish before RELAY_JOB_TIMEOUT_SECONDS and was stopped";
  }

  const stdout = commandOutput(result.stdout).trim();
  const output = (result.stderr.trim() || stdout).slice(-2000);
  if (ledgerAnswer(result.stdout).kind === "unknown") {
    return `the command ended without the ledger's answer (exit code ${String(result.exitCode)}): ${output}`;
  }
  return result.exitCode === 0
    ? `the command exited 0 but printed no job id (expected 'Submitted batch job N' or sbatch --parsable output): ${output}`
    : `exit code ${String(result.exitCode)}: ${output}`;
}
