/**
 * What the triggering event says about the job: repository, commit, ref,
 * version, actor and run. The runner's GITHUB_* variables are the source;
 * the webhook payload adds the release tag and whether a push deleted its
 * ref. The payload is read as plain JSON: @actions/github's context would
 * load octokit just for this.
 */
import type { JobMessage } from "../protocol/message.js";
import { InputError } from "./input-error.js";

/** The event's part of a message. */
export type EventFields = Omit<
  JobMessage,
  "contract" | "attributes" | "timestamp"
> & {
  /** A push that deleted its branch or tag: there is nothing to build. */
  deleted: boolean;
};

/**
 * Derives the message fields from the runner's environment and payload.
 * @param env - GITHUB_EVENT_NAME, GITHUB_REPOSITORY, GITHUB_SHA, ... as the runner sets them
 * @param payload - the parsed webhook payload (GITHUB_EVENT_PATH), or {}
 * @param version - the `version` input; undefined derives it from the event
 * @throws InputError when a variable the runner always sets is missing
 */
export function eventFields(
  env: NodeJS.ProcessEnv,
  payload: unknown,
  version: string | undefined,
): EventFields {
  const event = required(env, "GITHUB_EVENT_NAME");
  const repository = required(env, "GITHUB_REPOSITORY");
  const ref = env.GITHUB_REF ?? "";
  const runId = env.GITHUB_RUN_ID ?? "";
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";

  return {
    event,
    repository,
    sha: required(env, "GITHUB_SHA"),
    ref,
    version: version ?? deriveVersion(event, ref, payload),
    actor: env.GITHUB_ACTOR ?? text(payload, "sender", "login"),
    runId,
    runUrl: runId === "" ? "" : `${server}/${repository}/actions/runs/${runId}`,
    deleted: event === "push" && field(payload, "deleted") === true,
  };
}

/**
 * The version an event names: a release's tag, or the tag the run is on (a
 * tag push, or a manual run started on a tag), without a leading `v` before
 * a digit (v1.2.3 gives 1.2.3); empty for a run on a branch.
 */
export function deriveVersion(
  event: string,
  ref: string,
  payload: unknown,
): string {
  const releaseTag = field(payload, "release", "tag_name");
  let tag = "";
  if (event === "release" && typeof releaseTag === "string") {
    tag = releaseTag;
  } else if (ref.startsWith("refs/tags/")) {
    tag = ref.slice("refs/tags/".length);
  }
  return tag.replace(/^v(?=\d)/, "");
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new InputError(
      name,
      "is not set (expected the runner to set it: run this action as a step of a GitHub Actions workflow)",
    );
  }
  return value;
}

/** A nested payload string, or "" when missing or not a string. */
function text(payload: unknown, ...path: string[]): string {
  const value = field(payload, ...path);
  return typeof value === "string" ? value : "";
}

/** A nested payload field, or undefined when any level is missing. */
function field(payload: unknown, ...path: string[]): unknown {
  let value = payload;
  for (const key of path) {
    if (typeof value !== "object" || value === null) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
