/**
 * The relay's side of SQS: receive with long polling, delete after a job is
 * submitted, push a message's next delivery back after a failure, and set
 * refused messages aside in the dead-letter queue when there is one.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

/** How to reach the queue. */
export interface QueueSettings {
  queueUrl: string;
  region: string;
  endpoint: string | undefined;
}

/** SQS's longest visibility timeout: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

// The SDK has no request timeout of its own: a frozen or half-open server
// would hold a call forever. Long polls get their wait time on top.
const CALL_TIMEOUT_MS = 10_000;

/** SDK call options: a timeout, and the caller's signal when there is one. */
function callOptions(
  timeoutMs: number,
  signal?: AbortSignal,
): { abortSignal: AbortSignal } {
  const timeout = AbortSignal.timeout(timeoutMs);
  return {
    abortSignal:
      signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
  };
}

/** Creates the SDK client; credentials come from the SDK's default chain. */
export function createSqsClient(settings: QueueSettings): SQSClient {
  return new SQSClient({
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    // The relay retries by itself with back-off; the SDK's own retries
    // would only hide an outage from the readiness probe.
    maxAttempts: 2,
  });
}

/** A queue the relay consumes. */
export class RelayQueue {
  readonly url: string;
  private readonly client: SQSClient;
  private deadLetterUrl: string | undefined;
  // Whether the redrive policy has been read; until it has, a refused
  // message cannot be known to have no dead-letter queue to go to.
  private redriveRead = false;
  /** Receives after which SQS moves a message to the dead-letter queue. */
  maxReceiveCount: number | undefined;

  constructor(client: SQSClient, url: string) {
    this.client = client;
    this.url = url;
  }

  /**
   * Long-polls for up to `max` messages (at most 10, SQS's limit).
   * @param visibilitySeconds - how long they stay hidden from other relays
   */
  async receive(
    max: number,
    waitSeconds: number,
    visibilitySeconds: number,
    signal?: AbortSignal,
  ): Promise<Message[]> {
    const result = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: visibilitySeconds,
        MessageSystemAttributeNames: [
          "ApproximateReceiveCount",
          "SentTimestamp",
          "MessageGroupId",
        ],
        MessageAttributeNames: ["All"],
      }),
      callOptions(waitSeconds * 1000 + CALL_TIMEOUT_MS, signal),
    );
    return result.Messages ?? [];
  }

  /** Deletes a message once its job is submitted. */
  async delete(receiptHandle: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({
        QueueUrl: this.url,
        ReceiptHandle: receiptHandle,
      }),
      callOptions(CALL_TIMEOUT_MS),
    );
  }

  /** Sets when a message may be received again, in seconds from now. */
  async setVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(
          MAX_VISIBILITY_SECONDS,
          Math.max(0, Math.round(seconds)),
        ),
      }),
      callOptions(CALL_TIMEOUT_MS),
    );
  }

  /**
   * Reads the queue's redrive policy to find its dead-letter queue.
   * @returns the dead-letter queue's URL, or undefined when there is none
   */
  async discoverDeadLetterQueue(): Promise<string | undefined> {
    const result = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.url,
        AttributeNames: ["RedrivePolicy"],
      }),
      callOptions(CALL_TIMEOUT_MS),
    );
    const policy = result.Attributes?.RedrivePolicy;
    if (policy === undefined) {
      this.redriveRead = true;
      return undefined;
    }

    const redrive = JSON.parse(policy) as {
      deadLetterTargetArn?: string;
      maxReceiveCount?: number | string;
    };
    const arn = redrive.deadLetterTargetArn;
    this.maxReceiveCount =
      redrive.maxReceiveCount === undefined
        ? undefined
        : Number(redrive.maxReceiveCount);
    this.deadLetterUrl =
      arn === undefined ? undefined : urlForArn(this.url, arn);
    this.redriveRead = true;
    return this.deadLetterUrl;
  }

  /**
   * Sets a refused message aside: a copy goes to the dead-letter queue, with
   * the reason as an attribute, before the original is deleted. Without a
   * dead-letter queue the message is only deleted; the caller logs it.
   * A redrive policy not read yet (SQS failed at start) is read first.
   * @returns whether a copy was kept
   * @throws when the policy or the copy fails: the message is then left
   *   for its visibility timeout, never deleted without its copy
   */
  async setAside(message: Message, reason: string): Promise<boolean> {
    if (!this.redriveRead) {
      await this.discoverDeadLetterQueue();
    }
    const kept = this.deadLetterUrl !== undefined;
    if (this.deadLetterUrl !== undefined) {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.deadLetterUrl,
          MessageBody: message.Body ?? "",
          MessageAttributes: withReason(message, reason),
          ...fifoFields(this.deadLetterUrl, message),
        }),
        callOptions(CALL_TIMEOUT_MS),
      );
    }

    await this.delete(message.ReceiptHandle ?? "");
    return kept;
  }

  /**
   * Moves messages from the dead-letter queue back to this queue, after the
   * cause of their failure was fixed. Each is sent again before it is
   * deleted from the dead-letter queue, so a crash can duplicate one but
   * never lose one (and the ledger turns a duplicate into no second job).
   * @param max - the most messages to move
   * @returns how many were moved
   */
  async redrive(max: number): Promise<number> {
    const source = this.deadLetterUrl;
    if (source === undefined) {
      throw new Error(
        `queue ${this.url} has no dead-letter queue in its redrive policy (expected a RedrivePolicy with deadLetterTargetArn)`,
      );
    }

    let moved = 0;
    while (moved < max) {
      const batch = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: source,
          MaxNumberOfMessages: Math.min(10, max - moved),
          WaitTimeSeconds: 1,
          MessageAttributeNames: ["All"],
        }),
        callOptions(1000 + CALL_TIMEOUT_MS),
      );
      const messages = batch.Messages ?? [];
      if (messages.length === 0) {
        break;
      }
      for (const message of messages) {
        await this.moveBack(source, message);
        moved += 1;
      }
    }
    return moved;
  }

  private async moveBack(source: string, message: Message): Promise<void> {
    const attributes = { ...message.MessageAttributes };
    delete attributes.REFUSED_REASON;

    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: message.Body ?? "",
        MessageAttributes: attributes,
        ...fifoFields(this.url, message),
      }),
      callOptions(CALL_TIMEOUT_MS),
    );
    await this.client.send(
      new DeleteMessageCommand({
        QueueUrl: source,
        ReceiptHandle: message.ReceiptHandle ?? "",
      }),
      callOptions(CALL_TIMEOUT_MS),
    );
  }
}

// A FIFO queue needs a group; the message's own id keeps SQS from
// deduplicating two distinct messages with the same body.
function fifoFields(
  url: string,
  message: Message,
): { MessageGroupId?: string; MessageDeduplicationId?: string } {
  if (!url.endsWith(".fifo")) {
    return {};
  }
  return {
    MessageGroupId: message.Attributes?.MessageGroupId ?? "bii-relay",
    MessageDeduplicationId: message.MessageId ?? String(Date.now()),
  };
}

function withReason(
  message: Message,
  reason: string,
): NonNullable<Message["MessageAttributes"]> {
  // SQS allows ten attributes; the reason takes the place of the last,
  // never of the signature, which a redriven message still needs.
  const entries = Object.entries(message.MessageAttributes ?? {}).filter(
    ([name]) => name !== "REFUSED_REASON",
  );
  const signature = entries.filter(([name]) => name === "SIGNATURE");
  const others = entries.filter(([name]) => name !== "SIGNATURE");
  const kept = [...signature, ...others].slice(0, 9);
  return {
    ...Object.fromEntries(kept),
    REFUSED_REASON: { DataType: "String", StringValue: reason },
  };
}

/**
 * The URL of a queue named by ARN, on the same endpoint and account path
 * style as the source queue.
 */
export function urlForArn(sourceUrl: string, arn: string): string {
  const [, , , , account, name] = arn.split(":");
  const url = new URL(sourceUrl);
  url.pathname = `/${account ?? ""}/${name ?? ""}`;
  return url.toString();
}
