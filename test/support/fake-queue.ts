/**
 * A stand-in for the relay's SQS queue: it records every call in the order
 * made, and a receive call waits until the test answers it.
 */
import type { Message } from "@aws-sdk/client-sqs";

import type { RelayQueue } from "../../relay/queue.js";

/** One call the relay made, as SQS would have seen it. */
export type QueueCall =
  | { op: "receive"; max: number }
  | { op: "setVisibility"; handle: string; seconds: number }
  | { op: "delete"; handle: string }
  | { op: "setAside"; handle: string; reason: string };

type QueueApi = Pick<
  RelayQueue,
  "receive" | "setVisibility" | "delete" | "setAside" | "maxReceiveCount"
>;

/** Records calls; answers receives and visibility changes when told. */
export class FakeQueue implements QueueApi {
  maxReceiveCount: number | undefined = undefined;
  readonly calls: QueueCall[] = [];
  /** Receive calls not yet answered, oldest first. */
  readonly polls: PromiseWithResolvers<Message[]>[] = [];
  /** While set, each visibility change waits for it before it returns. */
  visibilityHeld: Promise<void> | undefined;

  async receive(max: number): Promise<Message[]> {
    this.calls.push({ op: "receive", max });
    const poll = Promise.withResolvers<Message[]>();
    this.polls.push(poll);
    return poll.promise;
  }

  async setVisibility(handle: string, seconds: number): Promise<void> {
    this.calls.push({ op: "setVisibility", handle, seconds });
    await this.visibilityHeld;
  }

  async delete(handle: string): Promise<void> {
    this.calls.push({ op: "delete", handle });
    await Promise.resolve();
  }

  async setAside(message: Message, reason: string): Promise<boolean> {
    const handle = message.ReceiptHandle ?? "";
    this.calls.push({ op: "setAside", handle, reason });
    await Promise.resolve();
    return false;
  }

  /** The calls of one kind, in order. */
  callsOf<K extends QueueCall["op"]>(op: K): Extract<QueueCall, { op: K }>[] {
    return this.calls.filter(
      (c): c is Extract<QueueCall, { op: K }> => c.op === op,
    );
  }

  /**
   * This fake where the relay expects its queue: the real class also holds
   * an SDK client, which nothing under test reaches.
   */
  asRelayQueue(): RelayQueue {
    return this as unknown as RelayQueue;
  }
}
