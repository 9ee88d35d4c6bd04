import { readFileSync } from "node:fs";

import { ATTRIBUTE } from "../protocol/message.js";
import { resolveCredentials } from "./credentials.js";
import { eventFields } from "./event.js";
import { readInput, readInputs } from "./inputs.js";
import { InputError } from "./input-error.js";
import { buildMessage, type OutgoingMessage } from "./outgoing.js";
import { sendMessage, type SendMessageResult } from "./sqs-send.js";
import { summaryMarkdown } from "./summary.js";
import { resolveTarget } from "./target.js";
import * as runner from "./workflow-commands.js";

/**
 * The action's flow: check the inputs, derive the message from the event,
 * check it against the contract and SQS's limits, then send it (unless
 * `dry-run`) and report. Every check happens before the network is touched,
 * so a step that fails on its inputs has sent nothing.
 * @param env - the runner's environment (INPUT_*, GITHUB_*, AWS_*)
 * @param now - the clock, for the message's timestamp and the signature
 */
export async function publish(
  env: NodeJS.ProcessEnv,
  now: () => Date = () => new Date(),
): Promise<void> {
  // Mask the secret before anything could print it.
  runner.setSecret(readInput(env, "signing-secret") ?? "");

  // Inputs and target.
  const inputs = await readInputs(env);
  const target = resolveTarget(inputs, env);
  runner.debug(
    `queue ${target.queueUrl} (${inputs.queue.fifo ? "FIFO" : "standard"}), endpoint ${target.endpoint}, region ${target.region}`,
  );

  // Event.
  const fields = eventFields(env, readPayload(env), inputs.version);
  if (fields.deleted) {
    runner.notice(`Nothing sent: this push deleted ${fields.ref}.`);
    return;
  }

  // Message.
  const outgoing = buildMessage(inputs, fields, now());
  showMessage(outgoing);
  runner.setOutput(env, "body", outgoing.encoded.body);
  runner.setOutput(env, "version", outgoing.message.version);
  if (inputs.dryRun) {
    runner.info("dry-run is set: the message was built and checked, not sent");
    report(env, target.queueUrl, outgoing, undefined);
    return;
  }

  // Send.
  const { credentials, source } = await resolveCredentials(env, target.region);
  runner.debug(`AWS credentials from ${source}`);
  const result = await sendMessage(target, credentials, {
    body: outgoing.encoded.body,
    attributes: outgoing.encoded.attributes,
    groupId: outgoing.groupId,
    deduplicationId: outgoing.deduplicationId,
    delaySeconds: outgoing.delaySeconds,
  }).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`could not send to ${target.queueUrl}: ${reason}`, {
      cause: error,
    });
  });
  runner.setOutput(env, "message-id", result.messageId);
  runner.setOutput(env, "sequence-number", result.sequenceNumber ?? "");
  report(env, target.queueUrl, outgoing, result);
}

function readPayload(env: NodeJS.ProcessEnv): unknown {
  const path = env.GITHUB_EVENT_PATH;
  if (path === undefined || path === "") {
    return {};
  }

  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(
      "GITHUB_EVENT_PATH",
      `'${path}' could not be read as the event's JSON payload (${reason})`,
      { cause: error },
    );
  }
}

function showMessage(outgoing: OutgoingMessage): void {
  const { encoded, groupId, deduplicationId } = outgoing;
  runner.startGroup("Message");
  runner.info(`body: ${encoded.body}`);
  const names = Object.keys(encoded.attributes).join(", ");
  runner.info(`message attributes: ${names}`);
  if (groupId !== undefined) {
    runner.info(`message group id: ${groupId}`);
    runner.info(`deduplication id: ${deduplicationId ?? ""}`);
  }
  runner.endGroup();
}

function report(
  env: NodeJS.ProcessEnv,
  queueUrl: string,
  outgoing: OutgoingMessage,
  result: SendMessageResult | undefined,
): void {
  runner.appendSummary(env, summaryMarkdown({ queueUrl, outgoing, result }));
  if (result === undefined) {
    return;
  }

  const { message } = outgoing;
  const version =
    message.version === "" ? "" : ` ${ATTRIBUTE.version}=${message.version}`;
  runner.info(`sent message ${result.messageId} to ${queueUrl}`);
  runner.notice(
    `Sent ${message.event} of ${message.repository}${version} as message ${result.messageId}`,
    "bii-relay",
  );
}
