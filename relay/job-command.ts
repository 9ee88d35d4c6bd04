/**
 * What the relay runs on the cluster for one accepted message: the
 * environment the job sees and the command line, built from configuration
 * only. Message values travel in the environment, sent on the channel's
 * standard input; none of them is ever part of the command line.
 */
import type { JobMessage } from "../protocol/message.js";
import type { JobRequest } from "./inbound.js";
import type { SbatchAction } from "./routes.js";

/** A command for the remote bootstrap to run. */
export interface JobCommand {
  argv: string[];
  /** Append "$VERSION" as the last argument (the original script's $1). */
  appendVersion: boolean;
  env: Record<string, string>;
}

/**
 * The variables a job receives: the original names (GIT_REPO, VERSION, ...),
 * a few more about the run, then the message's custom attributes.
 */
export function jobEnvironment(
  message: JobMessage,
  messageId: string,
  key: string,
): Record<string, string> {
  return {
    ...message.attributes,
    GIT_REPO: message.repository,
    GIT_SHA: message.sha,
    GIT_REF: message.ref,
    VERSION: message.version,
    EVENT: message.event,
    GIT_ACTOR: message.actor,
    GITHUB_RUN_ID: message.runId,
    GITHUB_RUN_URL: message.runUrl,
    BII_MESSAGE_ID: messageId,
    BII_EVENT_KEY: key,
  };
}

/** The command for an accepted message. */
export function jobCommand(request: JobRequest, messageId: string): JobCommand {
  const env = jobEnvironment(request.message, messageId, request.eventKey);
  const action = request.route.action;

  if (action.kind === "script") {
    return { argv: ["bash", action.script], appendVersion: true, env };
  }
  return {
    argv: sbatchArgv(action, request.message),
    appendVersion: false,
    env,
  };
}

function sbatchArgv(action: SbatchAction, message: JobMessage): string[] {
  const name =
    action.jobName ?? `bii-${message.repository.split("/")[1] ?? "job"}`;
  const argv = ["sbatch", "--parsable", "--export=ALL", `--job-name=${name}`];

  if (action.partition !== undefined) {
    argv.push(`--partition=${action.partition}`);
  }
  if (action.account !== undefined) {
    argv.push(`--account=${action.account}`);
  }
  if (action.time !== undefined) {
    argv.push(`--time=${action.time}`);
  }
  argv.push(action.script);
  return argv;
}
