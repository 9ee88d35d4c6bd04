import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

import { RelayQueue } from "../../relay/queue.js";
import { queueDepth, sendJob } from "../support/publish.js";
import {
  createQueueWithDeadLetter,
  deleteQueue,
  sqsClient,
} from "../support/stack.js";

/**
 * The relay reads the redrive policy once at start. A failed read must not
 * turn into "no dead-letter queue": a refused message would then be deleted
 * without the copy the queue's owner asked for.
 */
describe("a relay queue whose redrive policy could not be read at start", () => {
  let client: SQSClient;
  let queueUrl: string;
  let deadLetterUrl: string;
  let policyReadsToFail: number;

  beforeEach(async () => {
    client = sqsClient();
    ({ queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(
      client,
      "redrive-policy",
      3,
    ));
    // Real SQS calls, but GetQueueAttributes fails as often as a test says.
    const send = client.send.bind(client) as (c: unknown) => Promise<unknown>;
    policyReadsToFail = 1;
    client.send = ((command: unknown) => {
      if (command instanceof GetQueueAttributesCommand && policyReadsToFail) {
        policyReadsToFail -= 1;
        return Promise.reject(new Error("ServiceUnavailable (test)"));
      }
      return send(command);
    }) as typeof client.send;
  });

  afterEach(async () => {
    await deleteQueue(client, queueUrl);
    await deleteQueue(client, deadLetterUrl);
    client.destroy();
  });

  async function refuseOne(queue: RelayQueue): Promise<boolean> {
    await sendJob(client, queueUrl);
    const [message] = await queue.receive(1, 1, 30);
    if (message === undefined) {
      throw new Error("no message arrived");
    }
    return queue.setAside(message, "unsigned");
  }

  it("reads it again and keeps a refused message's copy in the dead-letter queue", async () => {
    const queue = new RelayQueue(client, queueUrl);
    await expect(queue.discoverDeadLetterQueue()).rejects.toThrow(
      "ServiceUnavailable",
    );

    await expect(refuseOne(queue)).resolves.toBe(true);

    await expect(queueDepth(client, deadLetterUrl)).resolves.toEqual({
      visible: 1,
      inFlight: 0,
    });
    await expect(queueDepth(client, queueUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
    });
  });

  it("leaves the message in the queue when the policy still cannot be read", async () => {
    const queue = new RelayQueue(client, queueUrl);
    policyReadsToFail = 2;
    await expect(queue.discoverDeadLetterQueue()).rejects.toThrow(
      "ServiceUnavailable",
    );

    await expect(refuseOne(queue)).rejects.toThrow("ServiceUnavailable");

    await expect(queueDepth(client, queueUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 1,
    });
    await expect(queueDepth(client, deadLetterUrl)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
    });
  });
});
