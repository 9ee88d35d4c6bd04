/**
 * Messages in the original Travis template's form: a plain body such as
 * `release` and String attributes (VERSION and perhaps others), with the
 * repository known only from the relay's configuration.
 */
import { customNameProblem, type JobMessage } from "../protocol/message.js";
import { checkLegacyFields, ContractError, quote } from "../protocol/parse.js";

/** SQS message attributes as the SDK returns them. */
export type ReceivedAttributes = Record<
  string,
  { DataType?: string | undefined; StringValue?: string | undefined }
>;

// Attribute names the original and current templates used for the fields
// the relay knows, matched case-insensitively.
const FIELDS: Record<string, keyof JobMessage> = {
  VERSION: "version",
  SHA: "sha",
  GIT_SHA: "sha",
  TRAVIS_COMMIT: "sha",
  REF: "ref",
  GIT_REF: "ref",
  EVENT: "event",
  REPOSITORY: "repository",
  GIT_REPO: "repository",
  ACTOR: "actor",
};

const IGNORED = new Set(["SIGNATURE"]);

/**
 * Reads a legacy message into the contract's shape.
 * @param body - the plain body, which names the event (`release`, `push`)
 * @param attributes - the message's attributes
 * @param repository - the configured repository (GIT_REPO)
 * @param sentAt - when SQS received the message
 * @throws ContractError naming what is wrong
 */
export function readLegacyMessage(
  body: string,
  attributes: ReceivedAttributes,
  repository: string | undefined,
  sentAt: Date,
): JobMessage {
  const problems: string[] = [];
  const message: JobMessage = {
    contract: 1,
    event: legacyEvent(body),
    repository: repository ?? "",
    sha: "",
    ref: "",
    version: "",
    actor: "",
    runId: "",
    runUrl: "",
    attributes: {},
    timestamp: sentAt.toISOString(),
  };

  for (const [name, value] of Object.entries(attributes)) {
    const text = value.StringValue;
    const upper = name.toUpperCase();
    if (IGNORED.has(upper)) {
      continue;
    }
    if (text === undefined) {
      problems.push(`attribute ${quote(name)} is not a String attribute`);
      continue;
    }

    const field = FIELDS[upper];
    if (field !== undefined) {
      (message as unknown as Record<string, string>)[field] = text;
      continue;
    }
    const why = customNameProblem(name);
    if (why !== undefined) {
      problems.push(`attribute name ${quote(name)} is not allowed: ${why}`);
    } else {
      message.attributes[name] = text;
    }
  }

  if (repository === undefined) {
    problems.push(
      "a message without a JSON body names no repository and GIT_REPO is not set to one repository (expected the Action's JSON contract, or GIT_REPO=owner/name)",
    );
  } else if (message.repository.toLowerCase() !== repository.toLowerCase()) {
    problems.push(
      `attribute REPOSITORY ${quote(message.repository)} is not GIT_REPO ${quote(repository)}`,
    );
  }
  if (problems.length > 0) {
    throw new ContractError(problems);
  }

  checkLegacyFields(message);
  return message;
}

function legacyEvent(body: string): string {
  const word = body.trim().toLowerCase();
  return /^[a-z_]{1,64}$/.test(word) ? word : "legacy";
}
