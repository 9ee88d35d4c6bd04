import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import {
  defaultSendOptions,
  SendError,
  sendMessage,
  type SendOptions,
} from "../../action/sqs-send.js";
import type { QueueTarget } from "../../action/target.js";

interface Answer {
  status: number;
  body: unknown;
}

const credentials = { accessKeyId: "AKID", secretAccessKey: "secret" };
const message = { body: "hello", attributes: {} };
const md5OfHello = "5d41402abc4b2a76b9719d911017c592";

describe("sending a message over the SQS JSON protocol", () => {
  let server: Server;
  let answers: Answer[];
  let requests: { target: string | undefined; body: unknown }[];
  let target: QueueTarget;
  let waits: number[];
  let options: SendOptions;

  beforeEach(async () => {
    answers = [];
    requests = [];
    waits = [];
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        requests.push({
          target: request.headers["x-amz-target"] as string | undefined,
          body: JSON.parse(Buffer.concat(chunks).toString()),
        });
        const answer = answers.shift() ?? { status: 500, body: {} };
        response.writeHead(answer.status, {
          "content-type": "application/x-amz-json-1.0",
        });
        response.end(JSON.stringify(answer.body));
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    target = {
      queueUrl: "http://127.0.0.1/000000000000/q",
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
    };
    options = {
      ...defaultSendOptions,
      random: () => 0.5,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    };
  });

  afterEach(() => {
    server.close();
  });

  it("posts SendMessage with the queue, body and FIFO ids", async () => {
    answers.push({
      status: 200,
      body: {
        MessageId: "m-1",
        MD5OfMessageBody: md5OfHello,
        SequenceNumber: "7",
      },
    });

    const result = await sendMessage(
      target,
      credentials,
      { ...message, groupId: "g", deduplicationId: "d" },
      options,
    );

    expect(result).toEqual({ messageId: "m-1", sequenceNumber: "7" });
    expect(requests).toEqual([
      {
        target: "AmazonSQS.SendMessage",
        body: {
          QueueUrl: target.queueUrl,
          MessageBody: "hello",
          MessageAttributes: {},
          MessageGroupId: "g",
          MessageDeduplicationId: "d",
        },
      },
    ]);
  });

  it("retries a server error and a throttle, waiting longer each time", async () => {
    answers.push(
      { status: 500, body: { __type: "InternalError", message: "oops" } },
      {
        status: 400,
        body: { __type: "com.amazonaws.sqs#ThrottlingException" },
      },
      { status: 200, body: { MessageId: "m-2", MD5OfMessageBody: md5OfHello } },
    );

    const result = await sendMessage(target, credentials, message, options);

    expect(result.messageId).toBe("m-2");
    expect(requests).toHaveLength(3);
    expect(waits).toEqual([50, 100]);
  });

  it("gives up after the last attempt with SQS's error", async () => {
    answers.push(
      { status: 503, body: { __type: "ServiceUnavailable", message: "a" } },
      { status: 503, body: { __type: "ServiceUnavailable", message: "b" } },
      { status: 503, body: { __type: "ServiceUnavailable", message: "c" } },
    );

    await expect(
      sendMessage(target, credentials, message, options),
    ).rejects.toThrow("SQS refused SendMessage: ServiceUnavailable: c");
    expect(requests).toHaveLength(3);
  });

  it("does not retry an error a retry cannot fix, and keeps its code", async () => {
    answers.push({
      status: 400,
      body: {
        __type: "com.amazonaws.sqs#QueueDoesNotExist",
        message: "The specified queue does not exist.",
      },
    });

    const failure = await sendMessage(target, credentials, message, options)
      .then(() => undefined)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SendError);
    expect((failure as SendError).code).toBe("QueueDoesNotExist");
    expect((failure as SendError).message).toBe(
      "SQS refused SendMessage: QueueDoesNotExist: The specified queue does not exist.",
    );
    expect(requests).toHaveLength(1);
  });

  it("refuses an answer whose body checksum does not match what was sent", async () => {
    answers.push({
      status: 200,
      body: { MessageId: "m-3", MD5OfMessageBody: "0".repeat(32) },
    });

    await expect(
      sendMessage(target, credentials, message, options),
    ).rejects.toThrow(
      `SQS stored message m-3 with body MD5 "${"0".repeat(32)}", expected ${md5OfHello}`,
    );
  });

  it("retries a refused connection, then says which endpoint it could not reach", async () => {
    server.close();
    await once(server, "close");

    await expect(
      sendMessage(target, credentials, message, options),
    ).rejects.toThrow(
      `could not reach ${target.endpoint}: connect ECONNREFUSED`,
    );
    expect(waits).toHaveLength(2);
  });

  it("gives up on an answer that trickles in past the deadline, however lively the socket", async () => {
    const trickler = createServer((_request, response) => {
      response.writeHead(200);
      const drip = setInterval(() => response.write(" "), 20);
      response.on("close", () => {
        clearInterval(drip);
      });
    });
    trickler.listen(0, "127.0.0.1");
    await once(trickler, "listening");
    const { port } = trickler.address() as AddressInfo;

    try {
      await expect(
        sendMessage(
          { ...target, endpoint: `http://127.0.0.1:${port}` },
          credentials,
          message,
          { ...options, timeoutMs: 300 },
        ),
      ).rejects.toThrow(
        `could not reach http://127.0.0.1:${port}: no answer within 300 ms`,
      );
      expect(waits).toHaveLength(2);
    } finally {
      trickler.closeAllConnections();
      trickler.close();
    }
  });
});
