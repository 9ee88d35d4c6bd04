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
        ],
        MessageAttributeNames: ["All"],
      }),
      signal === undefined ? {} : { abortSignal: signal },
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
    );
    const policy = result.Attributes?.RedrivePolicy;
    if (policy === undefined) {
      return undefined;
    }

    const arn = (JSON.parse(policy) as { deadLetterTargetArn?: string })
      .deadLetterTargetArn;
    this.deadLetterUrl =
      arn === undefined ? undefined : urlForArn(this.url, arn);
    return this.deadLetterUrl;
  }

  /**
   * Sets a refused message aside: a copy goes to the dead-letter queue, with
   * the reason as an attribute, before the original is deleted. Without a
   * dead-letter queue the message is only deleted; the caller logs it.
   * @returns whether a copy was kept
   */
  async setAside(message: Message, reason: string): Promise<boolean> {
    const kept = this.deadLetterUrl !== undefined;
    if (this.deadLetterUrl !== undefined) {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.deadLetterUrl,
          MessageBody: message.Body ?? "",
          MessageAttributes: withReason(message, reason),
        }),
      );
    }

    await this.delete(message.ReceiptHandle ?? "");
    return kept;
  }
}

function withReason(
  message: Message,
  reason: string,
): NonNullable<Message["MessageAttributes"]> {
  const attributes = { ...message.MessageAttributes };
  // SQS allows ten attributes; the reason takes precedence over the last.
  const names = Object.keys(attributes);
  if (names.length >= 10 && !("REFUSED_REASON" in attributes)) {
    delete attributes[names[names.length - 1] ?? ""];
  }
  attributes.REFUSED_REASON = { DataType: "String", StringValue: reason };
  return attributes;
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
