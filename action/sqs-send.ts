/**
 * SendMessage over the SQS JSON protocol (AWS JSON 1.0): one signed POST,
 * retried on throttling, server errors and dropped connections, like the
 * SDK's standard retry mode.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

import type { StringAttribute } from "../protocol/message.js";
import { signRequest, type Credentials } from "./sigv4.js";
import type { QueueTarget } from "./target.js";

/** The SendMessage parameters this action uses. */
export interface SendMessageInput {
  body: string;
  attributes: Record<string, StringAttribute>;
  groupId?: string | undefined;
  deduplicationId?: string | undefined;
  delaySeconds?: number | undefined;
}

/** What SQS answered. */
export interface SendMessageResult {
  messageId: string;
  /** FIFO queues only. */
  sequenceNumber: string | undefined;
}

/** How sending behaves; tests shorten the waits. */
export interface SendOptions {
  attempts: number;
  /** Per attempt, in milliseconds. */
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  /** 0 <= x < 1, for the retry jitter. */
  random: () => number;
  now: () => Date;
}

/** SQS refused the request, or it could not be made. */
export class SendError extends Error {
  /** The SQS error code, such as QueueDoesNotExist, when SQS answered. */
  readonly code: string | undefined;
  readonly retryable: boolean;

  constructor(
    message: string,
    details: { code?: string; retryable: boolean },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "SendError";
    this.code = details.code;
    this.retryable = details.retryable;
  }
}

/** Three attempts, 10 s each, real time. */
export const defaultSendOptions: SendOptions = {
  attempts: 3,
  timeoutMs: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: () => new Date(),
};

const THROTTLING = new Set([
  "ThrottlingException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
]);

/**
 * Sends one message, retrying what may succeed on a later attempt.
 * @throws SendError with the SQS error code and message
 */
export async function sendMessage(
  target: QueueTarget,
  credentials: Credentials,
  input: SendMessageInput,
  options: SendOptions = defaultSendOptions,
): Promise<SendMessageResult> {
  const payload = JSON.stringify(requestBody(target, input));

  for (let attempt = 1; ; attempt++) {
    try {
      const response = await post(target, credentials, payload, options);
      return checkResult(response, input.body);
    } catch (error) {
      const retry = error instanceof SendError && error.retryable;
      if (!retry || attempt >= options.attempts) {
        throw error;
      }
      // Full jitter on an exponential base: 0-100 ms, 0-200 ms, ...
      await options.sleep(options.random() * 100 * 2 ** (attempt - 1));
    }
  }
}

function requestBody(target: QueueTarget, input: SendMessageInput) {
  return {
    QueueUrl: target.queueUrl,
    MessageBody: input.body,
    MessageAttributes: input.attributes,
    MessageGroupId: input.groupId,
    MessageDeduplicationId: input.deduplicationId,
    DelaySeconds: input.delaySeconds,
  };
}

async function post(
  target: QueueTarget,
  credentials: Credentials,
  payload: string,
  options: SendOptions,
): Promise<Record<string, unknown>> {
  const url = new URL("/", target.endpoint);
  const headers = signRequest(
    {
      url,
      body: payload,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AmazonSQS.SendMessage",
      },
    },
    credentials,
    { region: target.region, service: "sqs", now: options.now() },
  );

  const response = await exchange(url, headers, payload, options.timeoutMs);
  const parsed = parseJson(response.text);
  if (response.status === 200) {
    return parsed;
  }
  throw sqsError(response.status, parsed, response.text);
}

interface RawResponse {
  status: number;
  text: string;
}

async function exchange(
  url: URL,
  headers: Record<string, string>,
  payload: string,
  timeoutMs: number,
): Promise<RawResponse> {
  // Loading TLS costs ~15 ms; a plain-HTTP endpoint (a local server) skips it.
  const { request: send } =
    url.protocol === "https:"
      ? await import("node:https")
      : await import("node:http");

  // One deadline for the whole exchange: a socket timeout would start only
  // once connected, and never fire on a server that trickles its answer.
  const deadline = AbortSignal.timeout(timeoutMs);
  const unreachable = (error: Error) =>
    new SendError(
      `could not reach ${url.origin}: ${deadline.aborted ? `no answer within ${timeoutMs} ms` : error.message}`,
      { retryable: true },
      { cause: error },
    );

  return new Promise((resolve, reject) => {
    const request = send(
      url,
      { method: "POST", headers, signal: deadline },
      (response) => {
        readAll(response).then(resolve, (error: unknown) => {
          // A response stream fails with an Error, as the request does.
          reject(unreachable(error as Error));
        });
      },
    );
    request.on("error", (error) => {
      reject(unreachable(error));
    });
    request.end(payload);
  });
}

async function readAll(response: IncomingMessage): Promise<RawResponse> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return { status: response.statusCode ?? 0, text };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Not JSON: a proxy's or load balancer's page; the status tells.
  }
  return {};
}

function sqsError(
  status: number,
  parsed: Record<string, unknown>,
  text: string,
): SendError {
  // "com.amazonaws.sqs#QueueDoesNotExist" names the error after the '#'.
  const type = typeof parsed.__type === "string" ? parsed.__type : "";
  const code = type.slice(type.lastIndexOf("#") + 1) || `HTTP${status}`;
  const detail = parsed.message ?? parsed.Message;
  const message =
    typeof detail === "string" ? detail : text.slice(0, 200) || "no details";

  const retryable = status >= 500 || status === 429 || THROTTLING.has(code);
  return new SendError(`SQS refused SendMessage: ${code}: ${message}`, {
    code,
    retryable,
  });
}

function checkResult(
  response: Record<string, unknown>,
  body: string,
): SendMessageResult {
  const { MessageId, MD5OfMessageBody, SequenceNumber } = response;
  if (typeof MessageId !== "string" || MessageId === "") {
    throw new SendError(
      `SQS answered SendMessage without a MessageId: ${JSON.stringify(response).slice(0, 200)}`,
      { retryable: false },
    );
  }

  // What the SDK checks too: the body SQS stored is the body we sent.
  const md5 = createHash("md5").update(body, "utf8").digest("hex");
  if (MD5OfMessageBody !== undefined && MD5OfMessageBody !== md5) {
    throw new SendError(
      `SQS stored message ${MessageId} with body MD5 ${JSON.stringify(MD5OfMessageBody)}, expected ${md5}: the body was changed on the way`,
      { retryable: false },
    );
  }

  return {
    messageId: MessageId,
    sequenceNumber:
      typeof SequenceNumber === "string" ? SequenceNumber : undefined,
  };
}
