import {
  ATTRIBUTE,
  type JobMessage,
  MAX_MESSAGE_ATTRIBUTES,
  MAX_MESSAGE_BYTES,
  type StringAttribute,
} from "./message.js";
import { signBody } from "./signature.js";

/** A message ready for SendMessage. */
export interface EncodedMessage {
  body: string;
  attributes: Record<string, StringAttribute>;
}

/**
 * Turns a contract message into an SQS body and attributes: the key fields
 * as attributes (empty ones left out, since SQS refuses empty values), then
 * the custom attributes, then the signature when a secret is given.
 * @param message - the message to send
 * @param secret - the signing secret, if messages are signed
 */
export function encodeMessage(
  message: JobMessage,
  secret?: string,
): EncodedMessage {
  const body = JSON.stringify(message);
  const attributes: Record<string, StringAttribute> = {};

  const own: [string, string][] = [
    [ATTRIBUTE.event, message.event],
    [ATTRIBUTE.repository, message.repository],
    [ATTRIBUTE.sha, message.sha],
    [ATTRIBUTE.ref, message.ref],
    [ATTRIBUTE.version, message.version],
    ...Object.entries(message.attributes),
  ];
  for (const [name, value] of own) {
    if (value !== "") {
      attributes[name] = { DataType: "String", StringValue: value };
    }
  }

  if (secret !== undefined) {
    attributes[ATTRIBUTE.signature] = {
      DataType: "String",
      StringValue: signBody(body, secret),
    };
  }
  return { body, attributes };
}

/**
 * The size SQS counts against its limit: the body plus each attribute's
 * name, data type and value, in UTF-8 bytes.
 */
export function messageBytes(encoded: EncodedMessage): number {
  let total = Buffer.byteLength(encoded.body);
  for (const [name, value] of Object.entries(encoded.attributes)) {
    total += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    total += Buffer.byteLength(value.StringValue);
  }
  return total;
}

/**
 * Why SQS would refuse this message, or undefined when it fits.
 * @param encoded - the message as it would be sent
 */
export function sizeProblem(encoded: EncodedMessage): string | undefined {
  const count = Object.keys(encoded.attributes).length;
  if (count > MAX_MESSAGE_ATTRIBUTES) {
    const names = Object.keys(encoded.attributes).join(", ");
    return `the message would carry ${count} message attributes (${names}); SQS allows at most ${MAX_MESSAGE_ATTRIBUTES}`;
  }

  const bytes = messageBytes(encoded);
  if (bytes > MAX_MESSAGE_BYTES) {
    return `the message would be ${bytes} bytes; SQS allows at most ${MAX_MESSAGE_BYTES} (1 MiB) for the body and attributes together`;
  }
  return undefined;
}
