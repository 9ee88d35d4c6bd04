import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

import { encodeMessage } from "../../protocol/encode.js";
import type { JobMessage } from "../../protocol/message.js";
import { jobMessage } from "./messages.js";

/**
 * A commit id no earlier run used, so that the relay's ledger on the
 * cluster, which outlives test runs, sees a new event.
 */
export function newSha(): string {
  return randomBytes(20).toString("hex");
}

/**
 * Sends a contract message as the Action would; returns its message id.
 * Unless the overrides name one, the commit is new (see newSha).
 */
export async function sendJob(
  client: SQSClient,
  queueUrl: string,
  overrides: Partial<JobMessage> = {},
  secret?: string,
): Promise<string> {
  const message = jobMessage({ sha: newSha(), ...overrides });
  const encoded = encodeMessage(message, secret);
  const sent = await client.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: encoded.body,
      MessageAttributes: encoded.attributes,
    }),
  );
  return sent.MessageId ?? "";
}

/** Visible plus in-flight messages, as SQS counts them. */
export async function queueDepth(
  client: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const result = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
      ],
    }),
  );
  return {
    visible: Number(result.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(result.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

/** The variables a job wrote with `env -0` to a file. */
export function readJobEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const record of readFileSync(path, "utf8").split("\0")) {
    const at = record.indexOf("=");
    if (at > 0) {
      env[record.slice(0, at)] = record.slice(at + 1);
    }
  }
  return env;
}

/**
 * Sends many contract messages, ten to a SendMessageBatch call.
 * @returns the message ids, in order
 */
export async function sendJobs(
  client: SQSClient,
  queueUrl: string,
  messages: Partial<JobMessage>[],
  secret?: string,
): Promise<string[]> {
  const ids: string[] = [];

  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((overrides, j) => {
      const encoded = encodeMessage(
        jobMessage({ sha: newSha(), ...overrides }),
        secret,
      );
      return {
        Id: String(j),
        MessageBody: encoded.body,
        MessageAttributes: encoded.attributes,
      };
    });
    const result = await client.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
    );
    if ((result.Failed ?? []).length > 0) {
      throw new Error(
        `SendMessageBatch failed: ${JSON.stringify(result.Failed)}`,
      );
    }
    ids.push(...(result.Successful ?? []).map((s) => s.MessageId ?? ""));
  }
  return ids;
}
