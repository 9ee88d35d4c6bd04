/**
 * The poll loop against a recording queue whose receive calls end when the
 * test answers them, and a processor that finishes when the test says so.
 */
import type { Message } from "@aws-sdk/client-sqs";

import { Consumer } from "../../relay/consumer.js";
import type { Outcome } from "../../relay/processor.js";
import { FakeQueue } from "../support/fake-queue.js";
import { captureLog } from "../support/log-lines.js";
import { sqsMessage } from "../support/messages.js";

const submitted: Outcome = { kind: "submitted", jobId: "7", duplicate: false };

/**
 * Messages handed to the processor. Held, each finishes when the test says;
 * otherwise at once, so a message processed by mistake cannot stall a test.
 */
class FakeProcessing {
  readonly started: Message[] = [];
  private readonly running: PromiseWithResolvers<Outcome>[] = [];
  private readonly held: boolean;

  constructor(options: { held: boolean }) {
    this.held = options.held;
  }

  process = (message: Message): Promise<Outcome> => {
    this.started.push(message);
    const work = Promise.withResolvers<Outcome>();
    this.running.push(work);
    if (!this.held) {
      this.finishAll();
    }
    return work.promise;
  };

  /** Finishes every message started so far. */
  finishAll(): void {
    this.running.splice(0).forEach((work) => {
      work.resolve(submitted);
    });
  }
}

function consumer(queue: FakeQueue, processing: FakeProcessing): Consumer {
  return new Consumer({
    queue: queue.asRelayQueue(),
    process: processing.process,
    logger: captureLog().logger,
    concurrency: 4,
    waitTimeSeconds: 20,
    visibilityTimeoutSeconds: 300,
  });
}

/** Lets the loop run until it waits on something the test holds. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe("Consumer, when stopped", () => {
  it("makes visible at once the messages a receive brings after stop(), and never processes them", async () => {
    const queue = new FakeQueue();
    const processing = new FakeProcessing({ held: false });
    const relay = consumer(queue, processing);
    const late = [
      sqsMessage(undefined, { id: "a" }),
      sqsMessage(undefined, { id: "b" }),
    ];

    const running = relay.run();
    await settle();
    relay.stop();
    queue.polls[0]?.resolve(late);
    await running;

    expect(queue.calls).toEqual([
      { op: "receive", max: 4 },
      { op: "setVisibility", handle: "receipt-a", seconds: 0 },
      { op: "setVisibility", handle: "receipt-b", seconds: 0 },
    ]);
    expect(processing.started).toEqual([]);
  });

  it("resolves run() only once the messages in hand are processed", async () => {
    const queue = new FakeQueue();
    const processing = new FakeProcessing({ held: true });
    const relay = consumer(queue, processing);
    let finished = false;

    const running = relay.run().then(() => {
      finished = true;
    });
    await settle();
    queue.polls[0]?.resolve([sqsMessage()]);
    await settle();
    relay.stop();
    queue.polls[1]?.resolve([]);
    await settle();
    const beforeWorkEnds = finished;
    processing.finishAll();
    await running;

    expect(processing.started.map((m) => m.MessageId)).toEqual(["m-1"]);
    expect(beforeWorkEnds).toBe(false);
    expect(queue.callsOf("receive")).toHaveLength(2);
  });
});
