import type { OutgoingMessage } from "./outgoing.js";
import type { SendMessageResult } from "./sqs-send.js";

/** What the summary reports: the message, and what SQS answered if sent. */
export interface SummaryFacts {
  queueUrl: string;
  outgoing: OutgoingMessage;
  /** Undefined for a dry run. */
  result: SendMessageResult | undefined;
}

/**
 * The job summary: a table of what was sent (or would have been, for a dry
 * run). Attribute values are left out; they are in the step log's body.
 */
export function summaryMarkdown(facts: SummaryFacts): string {
  const { message, encoded, groupId } = facts.outgoing;
  const rows: [string, string][] = [
    ["Queue", code(facts.queueUrl)],
    ["Message id", code(facts.result?.messageId ?? "")],
    ["Sequence number", code(facts.result?.sequenceNumber ?? "")],
    ["Message group", code(groupId ?? "")],
    ["Event", code(message.event)],
    ["Repository", code(message.repository)],
    ["Ref", code(message.ref)],
    ["Commit", code(message.sha)],
    ["Version", code(message.version)],
    ["Attributes", Object.keys(message.attributes).map(code).join(", ")],
    ["Signed", "SIGNATURE" in encoded.attributes ? "yes" : "no"],
  ];

  const title =
    facts.result === undefined
      ? "### bii-relay: dry run, nothing sent"
      : "### bii-relay: job message sent";
  const table = rows
    .filter(([, value]) => value !== "")
    .map(([name, value]) => `| ${name} | ${value} |`);
  return [title, "", "| | |", "| --- | --- |", ...table, "", ""].join("\n");
}

// Inline code, with the characters that would break a table cell escaped.
function code(value: string): string {
  return value === ""
    ? ""
    : `\`${value.replaceAll("|", "\\|").replaceAll("`", "'")}\``;
}
