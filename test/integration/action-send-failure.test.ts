import {
  localQueueInputs,
  runAction,
  webhookExample,
} from "../support/action-runner.js";
import { stack } from "../support/stack.js";

const push = {
  name: "push",
  payload: webhookExample("push", (p) => p.ref === "refs/heads/master"),
  ref: "refs/heads/master",
  sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
};

describe("the action when SQS refuses the message", () => {
  it("fails the step with SQS's error and the queue it was sending to", async () => {
    const missing = `${stack().sqsEndpoint}/000000000000/no-such-queue`;

    const run = await runAction(localQueueInputs(missing), push, {
      AWS_REGION: "us-east-1",
    });

    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      new RegExp(
        `^could not send to ${missing}: SQS refused SendMessage: (QueueDoesNotExist|AWS\\.SimpleQueueService\\.NonExistentQueue): `,
      ),
    );
    expect(run.outputs["message-id"]).toBeUndefined();
  });
});
