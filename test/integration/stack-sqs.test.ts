import {
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

describe("the local SQS server", () => {
  let client: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "stack-sqs");
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  it("returns a message with its body and attributes intact", async () => {
    const body = JSON.stringify({ hello: "wörld", n: 1 });
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: {
          VERSION: { DataType: "String", StringValue: "1.2.3" },
          REPOSITORY: { DataType: "String", StringValue: "uva/bii" },
        },
      }),
    );

    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 2,
      }),
    );

    const [message] = received.Messages ?? [];
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Body).toBe(body);
    expect(message?.MessageAttributes).toEqual({
      VERSION: { DataType: "String", StringValue: "1.2.3" },
      REPOSITORY: { DataType: "String", StringValue: "uva/bii" },
    });
  });
});
