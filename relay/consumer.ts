/**
 * The poll loop: long-poll while there is room for more work, hand each
 * message to the processor, and back off with jitter when SQS fails,
 * without ever spinning or exiting on a transient error.
 */
import type { Message } from "@aws-sdk/client-sqs";
import { setTimeout as sleep } from "node:timers/promises";

import type { Availability, Delay, Probe } from "./availability.js";
import { backoffMs } from "./backoff.js";
import type { Logger } from "./logger.js";
import type { Outcome } from "./processor.js";
import type { RelayQueue } from "./queue.js";

/** What the loop needs. */
export interface ConsumerDeps {
  queue: RelayQueue;
  process: (message: Message) => Promise<Outcome>;
  logger: Logger;
  concurrency: number;
  waitTimeSeconds: number;
  visibilityTimeoutSeconds: number;
  /** When the cluster is known to be down, receiving waits for it. */
  availability?: Availability;
  /** Asks a cluster target whether it takes work. */
  probe?: Probe;
  /** Waits between failed polls; injectable so tests do not sleep. */
  delay?: Delay;
  random?: () => number;
}

const POLL_BACKOFF_BASE_MS = 1000;
const POLL_BACKOFF_CAP_MS = 60_000;

/** Long-polls a queue and processes what arrives. */
export class Consumer {
  private readonly deps: ConsumerDeps;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();
  private failures = 0;
  /** When the last receive call succeeded (ms since the epoch), or 0. */
  lastPollAt = 0;
  /** Whether the last receive call failed. */
  pollFailing = false;
  /** Whether receiving waits for the cluster to answer again. */
  waitingForCluster = false;

  constructor(deps: ConsumerDeps) {
    this.deps = deps;
  }

  /** Whether stop() was called. */
  get draining(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Messages being worked on now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * One receive, then waits for every received message to be processed.
   * @returns how many messages were received
   */
  async runOnce(): Promise<number> {
    const messages = await this.receive(this.deps.concurrency);
    await Promise.all(messages.map((m) => this.deps.process(m)));
    return messages.length;
  }

  /** Polls until stop() is called; resolves once in-flight work is done. */
  async run(): Promise<void> {
    const signal = this.stopping.signal;

    while (!this.stopped()) {
      if (this.inFlight.size >= this.deps.concurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      if (this.deps.availability?.degraded === true && this.deps.probe) {
        this.waitingForCluster = true;
        await this.deps.availability.waitUntilUp(
          this.deps.probe,
          this.deps.delay ?? defaultDelay,
          signal,
          this.deps.random,
        );
        this.waitingForCluster = false;
        continue;
      }

      try {
        // Not aborted by stop(): a long poll cut short can still hand
        // messages to the closed connection, hiding them for the whole
        // visibility timeout. It ends within its wait time, and what it
        // brings after stop() is released at once.
        const messages = await this.receive(
          this.deps.concurrency - this.inFlight.size,
        );
        this.failures = 0;
        if (this.stopped()) {
          await this.release(messages);
          break;
        }
        messages.forEach((m) => {
          this.start(m);
        });
      } catch (error) {
        if (this.stopped()) {
          break;
        }
        await this.backOff(error, signal);
      }
    }
    await Promise.allSettled(this.inFlight);
  }

  // A method, so the check is read afresh after each await.
  private stopped(): boolean {
    return this.draining;
  }

  /** Stops receiving; run() resolves when in-flight work finishes. */
  stop(): void {
    this.stopping.abort();
  }

  private async receive(max: number, signal?: AbortSignal): Promise<Message[]> {
    try {
      const messages = await this.deps.queue.receive(
        max,
        this.deps.waitTimeSeconds,
        this.deps.visibilityTimeoutSeconds,
        signal,
      );
      this.lastPollAt = Date.now();
      this.pollFailing = false;
      return messages;
    } catch (error) {
      this.pollFailing = true;
      throw error;
    }
  }

  // Messages that arrive after stop() was called are made visible again at
  // once, so another relay takes them without waiting out the timeout.
  private async release(messages: Message[]): Promise<void> {
    await Promise.allSettled(
      messages.map((m) =>
        this.deps.queue.setVisibility(m.ReceiptHandle ?? "", 0),
      ),
    );
    if (messages.length > 0) {
      this.deps.logger.info(
        { event: "messages_released", messages: messages.length },
        "released messages received while stopping",
      );
    }
  }

  private start(message: Message): void {
    const work: Promise<unknown> = this.deps
      .process(message)
      .catch((error: unknown) => {
        // process() settles every message itself; reaching this is a bug,
        // and the message returns after its visibility timeout.
        this.deps.logger.error(
          {
            event: "message_crashed",
            message_id: message.MessageId,
            err: error,
          },
          "processing a message failed unexpectedly",
        );
      })
      .finally(() => {
        this.inFlight.delete(work);
      });
    this.inFlight.add(work);
  }

  private async backOff(error: unknown, signal: AbortSignal): Promise<void> {
    this.failures += 1;
    const ms = backoffMs(
      this.failures,
      POLL_BACKOFF_BASE_MS,
      POLL_BACKOFF_CAP_MS,
      this.deps.random,
    );
    this.deps.logger.warn(
      {
        event: "receive_failed",
        err: error,
        attempt: this.failures,
        retry_in_ms: ms,
      },
      "receiving from SQS failed; retrying",
    );

    const delay = this.deps.delay ?? defaultDelay;
    await delay(ms, signal).catch(() => {
      // Aborted by stop(): the loop condition ends the run.
    });
  }
}

function defaultDelay(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(() => {
    // Aborted: the caller checks the signal.
  });
}
