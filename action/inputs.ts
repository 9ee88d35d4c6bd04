import { parseQueueUrl, type QueueAddress } from "../protocol/queue-url.js";
import { parseAttributes } from "./attributes.js";
import { InputError } from "./input-error.js";

/** The action's inputs, checked, before anything is derived from the event. */
export interface ActionInputs {
  queue: QueueAddress;
  /** `aws-region` as given, or undefined. */
  region: string | undefined;
  /** `endpoint` as given, or undefined. */
  endpoint: string | undefined;
  /** `version` as given; undefined means derive it from the event. */
  version: string | undefined;
  /** Custom attributes for the job. */
  attributes: Record<string, string>;
  messageGroupId: string | undefined;
  deduplicationId: string | undefined;
  delaySeconds: number | undefined;
  signingSecret: string | undefined;
  dryRun: boolean;
}

/**
 * Reads an input the way the runner passes it: `INPUT_` and the name in
 * upper case, hyphens kept, spaces as underscores.
 * @returns the trimmed value, or undefined when unset or empty
 */
export function readInput(
  env: NodeJS.ProcessEnv,
  name: string,
): string | undefined {
  const value = readText(env, name)?.trim();
  return value === "" ? undefined : value;
}

/**
 * Reads a multi-line input as given, so that YAML indented as a whole keeps
 * the indentation of its first line.
 * @returns the value, or undefined when unset or blank
 */
export function readText(
  env: NodeJS.ProcessEnv,
  name: string,
): string | undefined {
  const value = env[`INPUT_${name.replaceAll(" ", "_").toUpperCase()}`];
  return value === undefined || value.trim() === "" ? undefined : value;
}

/**
 * Reads and checks every input. Rules that depend on the queue type (FIFO
 * or standard) are checked here too, so no event data is needed to reject a
 * workflow that can never work.
 * @throws InputError naming the input and what it expects
 */
export async function readInputs(
  env: NodeJS.ProcessEnv,
): Promise<ActionInputs> {
  const queue = readQueue(env);
  const attributes = readText(env, "attributes");

  const inputs: ActionInputs = {
    queue,
    region: readInput(env, "aws-region"),
    endpoint: readEndpoint(env),
    version: readInput(env, "version"),
    attributes:
      attributes === undefined ? {} : await parseAttributes(attributes),
    messageGroupId: readQueueId(env, "message-group-id"),
    deduplicationId: readQueueId(env, "deduplication-id"),
    delaySeconds: readDelay(env),
    signingSecret: readInput(env, "signing-secret"),
    dryRun: readBoolean(env, "dry-run", false),
  };

  checkQueueType(inputs);
  return inputs;
}

function readQueue(env: NodeJS.ProcessEnv): QueueAddress {
  const url = readInput(env, "queue-url");
  if (url === undefined) {
    throw new InputError(
      "queue-url",
      "is required (expected https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)",
    );
  }

  try {
    return parseQueueUrl(url);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError("queue-url", reason, { cause: error });
  }
}

function readEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const endpoint = readInput(env, "endpoint");
  if (endpoint === undefined) {
    return undefined;
  }

  if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    throw new InputError(
      "endpoint",
      `'${endpoint}' is not an endpoint URL (expected http(s)://HOST[:PORT] with no path, such as http://127.0.0.1:9324)`,
    );
  }
  return endpoint.replace(/\/$/, "");
}

// SQS allows 1-128 characters for group and deduplication ids: letters,
// digits and ASCII punctuation.
const QUEUE_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

function readQueueId(env: NodeJS.ProcessEnv, name: string) {
  const value = readInput(env, name);
  if (value !== undefined && !QUEUE_ID.test(value)) {
    throw new InputError(
      name,
      `'${value}' is not valid (expected 1-128 letters, digits or ASCII punctuation)`,
    );
  }
  return value;
}

function readDelay(env: NodeJS.ProcessEnv): number | undefined {
  const value = readInput(env, "delay-seconds");
  if (value === undefined) {
    return undefined;
  }

  const seconds = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(seconds <= 900)) {
    throw new InputError(
      "delay-seconds",
      `'${value}' is not valid (expected a whole number of seconds from 0 to 900)`,
    );
  }
  return seconds;
}

/**
 * Reads a boolean input with the YAML 1.2 spellings the runner documents.
 */
export function readBoolean(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: boolean,
): boolean {
  const value = readInput(env, name);
  if (value === undefined) {
    return fallback;
  }

  if (["true", "True", "TRUE"].includes(value)) {
    return true;
  }
  if (["false", "False", "FALSE"].includes(value)) {
    return false;
  }
  throw new InputError(
    name,
    `'${value}' is not a boolean (expected true or false)`,
  );
}

function checkQueueType(inputs: ActionInputs): void {
  const { queue } = inputs;

  if (queue.fifo && inputs.delaySeconds !== undefined) {
    throw new InputError(
      "delay-seconds",
      `applies to standard queues only; '${queue.name}' is a FIFO queue, where SQS refuses a per-message delay (set the queue's DelaySeconds attribute instead, or remove delay-seconds)`,
    );
  }
  if (queue.fifo) {
    return;
  }

  for (const [name, value] of [
    ["message-group-id", inputs.messageGroupId],
    ["deduplication-id", inputs.deduplicationId],
  ] as const) {
    if (value !== undefined) {
      throw new InputError(
        name,
        `applies to FIFO queues only; '${queue.name}' is a standard queue (its name does not end in .fifo): remove ${name}`,
      );
    }
  }
}
