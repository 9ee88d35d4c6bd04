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

  it("refuses a message over SQS's 1 MiB, counting body and attributes", () => {
    // Each value is sent twice: in the body and as a message attribute.
    const big = "x".repeat(300_000);
    const attributes = { A: big, B: big };

    expect(() => buildMessage(inputs({ attributes }), fields, now)).toThrow(
      /^attributes: the message would be 12\d{5} bytes; SQS allows at most 1048576 \(1 MiB\) for the body and attributes together; remove attributes or shorten their values$/,
    );
  });

  it("accepts a message just under the limit", () => {
    const attributes = { A: "x".repeat(500_000) };

    expect(() =>
      buildMessage(inputs({ attributes }), fields, now),
    ).not.toThrow();
  });
});
