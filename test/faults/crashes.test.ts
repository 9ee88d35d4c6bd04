import { existsSync } from "node:fs";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { waitForEmptyQueue } from "../support/burst.js";
import { sendJob } from "../support/publish.js";
import {
  installLingeringSubmitScript,
  relayEnv,
} from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import { jobsNamed } from "../support/slurm.js";
import { waitFor } from "../support/sshd.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

describe("a relay killed while it works", () => {
  let client: SQSClient;

  beforeAll(() => {
    client = sqsClient();
  });

  afterAll(() => {
    client.destroy();
  });

  it("does not submit again for a message redelivered after a SIGKILL between sbatch and delete", async () => {
    const queueUrl = await createQueue(client, "fault-sigkill");
    const jobName = `sigkill-${String(Date.now())}`;
    const dir = installLingeringSubmitScript(jobName, 2);
    const messageId = await sendJob(client, queueUrl);
    const env = relayEnv(queueUrl, {
      RIVANNA_SCRIPT: join(dir, "submit.sh"),
      RELAY_VISIBILITY_TIMEOUT_SECONDS: "10",
    });

    const first = RelayProcess.start(env);
    await waitFor(
      () => existsSync(join(dir, `submitted-${messageId}`)),
      "the first relay's sbatch",
      30_000,
    );
    first.signal("SIGKILL");
    await first.exited();
    const second = RelayProcess.start(env);
    const [answer] = await second.waitForEvents("duplicate_event", 1, 60_000);
    await waitForEmptyQueue(client, queueUrl, 10_000);
    await second.stop();
    await deleteQueue(client, queueUrl);

    const jobs = jobsNamed(jobName);
    expect(jobs).toHaveLength(1);
    expect(answer).toMatchObject({ message_id: messageId, job_id: jobs[0] });
    expect(second.events("job_submitted")).toHaveLength(0);
  });
});
