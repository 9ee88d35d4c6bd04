import type { EventFields } from "../../action/event.js";
import type { ActionInputs } from "../../action/inputs.js";
import { buildMessage } from "../../action/outgoing.js";
import { parseQueueUrl } from "../../protocol/queue-url.js";

const fields: EventFields = {
  event: "push",
  repository: "uva/bii",
  sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  ref: "refs/tags/v1.0.0",
  version: "1.0.0",
  actor: "octocat",
  runId: "1",
  runUrl: "https://github.com/uva/bii/actions/runs/1",
  deleted: false,
};

function inputs(overrides: Partial<ActionInputs>): ActionInputs {
  return {
    queue: parseQueueUrl(
      "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
    ),
    region: undefined,
    endpoint: undefined,
    version: undefined,
    attributes: {},
    messageGroupId: undefined,
    deduplicationId: undefined,
    delaySeconds: undefined,
    signingSecret: undefined,
    dryRun: false,
    ...overrides,
  };
}

describe("building the message", () => {
  const now = new Date("2026-01-31T12:00:00.000Z");

  it("stamps the body with the time it was built", () => {
    const { message } = buildMessage(inputs({}), fields, now);

    expect(message.timestamp).toBe("2026-01-31T12:00:00.000Z");
  });

  it("leaves FIFO ids unset for a standard queue", () => {
    const outgoing = buildMessage(inputs({ delaySeconds: 5 }), fields, now);

    expect(outgoing.groupId).toBeUndefined();
    expect(outgoing.deduplicationId).toBeUndefined();
    expect(outgoing.delaySeconds).toBe(5);
  });

  it("refuses an attribute value over 64 KiB, naming it", () => {
    const attributes = { SMALL: "x", BIG: "x".repeat(64 * 1024 + 1) };

    expect(() => buildMessage(inputs({ attributes }), fields, now)).toThrow(
      /attribute "BIG" is 65537 bytes \(expected at most 65536: it reaches the job as one environment variable\)/,
    );
  });

  it("accepts four values of 64 KiB, which SQS's 1 MiB holds twice over", () => {
    const value = "x".repeat(64 * 1024);
    const attributes = { A: value, B: value, C: value, D: value };

    expect(() =>
      buildMessage(inputs({ attributes }), fields, now),
    ).not.toThrow();
  });
});
