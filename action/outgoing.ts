import { encodeMessage, sizeProblem } from "../protocol/encode.js";
import type { EncodedMessage } from "../protocol/encode.js";
import { eventKey } from "../protocol/event-key.js";
import { CONTRACT_VERSION, type JobMessage } from "../protocol/message.js";
import { parseMessage } from "../protocol/parse.js";
import type { EventFields } from "./event.js";
import { InputError } from "./input-error.js";
import type { ActionInputs } from "./inputs.js";

/** Everything SendMessage needs, checked against the contract and SQS. */
export interface OutgoingMessage {
  message: JobMessage;
  encoded: EncodedMessage;
  /** FIFO only: the message group, the repository unless given. */
  groupId: string | undefined;
  /** FIFO only: the deduplication id, the event key unless given. */
  deduplicationId: string | undefined;
  /** Standard queues only: how long SQS hides the message. */
  delaySeconds: number | undefined;
}

/**
 * Builds the message for an event and checks it the way the relay and SQS
 * will, so a message that would be refused is never sent.
 * @param now - when the message is made; it goes into the signed body
 * @throws InputError saying which input or event field to fix
 */
export function buildMessage(
  inputs: ActionInputs,
  fields: EventFields,
  now: Date,
): OutgoingMessage {
  const message: JobMessage = {
    contract: CONTRACT_VERSION,
    event: fields.event,
    repository: fields.repository,
    sha: fields.sha,
    ref: fields.ref,
    version: fields.version,
    actor: fields.actor,
    runId: fields.runId,
    runUrl: fields.runUrl,
    attributes: inputs.attributes,
    timestamp: now.toISOString(),
  };
  const encoded = encodeMessage(message, inputs.signingSecret);
  checkMessage(encoded);

  const fifo = inputs.queue.fifo;
  return {
    message,
    encoded,
    groupId: fifo ? (inputs.messageGroupId ?? fields.repository) : undefined,
    deduplicationId: fifo
      ? (inputs.deduplicationId ?? eventKey(fields))
      : undefined,
    delaySeconds: inputs.delaySeconds,
  };
}

function checkMessage(encoded: EncodedMessage): void {
  try {
    parseMessage(encoded.body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(
      "message",
      `the relay would refuse it: ${reason} (check the version input and the event)`,
      { cause: error },
    );
  }

  const problem = sizeProblem(encoded);
  if (problem !== undefined) {
    throw new InputError(
      "attributes",
      `${problem}; remove attributes or shorten their values`,
    );
  }
}
