import type { Message } from "@aws-sdk/client-sqs";

import { encodeMessage } from "../../protocol/encode.js";
import type { JobMessage } from "../../protocol/message.js";

/** A valid contract message; override what a test is about. */
export function jobMessage(overrides: Partial<JobMessage> = {}): JobMessage {
  return {
    contract: 1,
    event: "push",
    repository: "uva-bii/pipeline",
    sha: "0123456789abcdef0123456789abcdef01234567",
    ref: "refs/heads/main",
    version: "",
    actor: "octocat",
    runId: "42",
    runUrl: "https://github.com/uva-bii/pipeline/actions/runs/42",
    attributes: {},
    timestamp: new Date().toISOString(),
    ...overrides,
  };
}

/** How one delivery of a message differs from the first. */
export interface Delivery {
  /** SQS's message id; the receipt handle is made from it. */
  id?: string;
  /** Signs the body with this secret. */
  secret?: string;
  receiveCount?: number;
}

/** A contract message as a receive call returns it. */
export function sqsMessage(
  job: JobMessage = jobMessage(),
  delivery: Delivery = {},
): Message {
  const id = delivery.id ?? "m-1";
  const { body, attributes } = encodeMessage(job, delivery.secret);
  return {
    MessageId: id,
    ReceiptHandle: `receipt-${id}`,
    Body: body,
    MessageAttributes: attributes,
    Attributes: {
      ApproximateReceiveCount: String(delivery.receiveCount ?? 1),
      SentTimestamp: String(Date.parse(job.timestamp)),
    },
  };
}
