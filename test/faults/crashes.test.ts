import { existsSync } from "node:fs";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { waitForEmptyQueue } from "../support/burst.js";
import { queueDepth, sendJob, sendJobs } from "../support/publish.js";
import { installJobFiles, relayEnv } from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import { jobsNamed } from "../support/slurm.js";
import { waitFor } from "../support/sshd.js";
import { createQueue, deleteQueue, sqsClient } from "../support/stack.js";

/**
 * A submit script that, after sbatch answers, leaves a marker named for
 * the message and lingers, so a test can act between the submission and
 * the relay's delete.
 */
function lingeringSubmitScript(jobName: string, lingerSeconds: number): string {
  const dir = installJobFiles({
    "job.slurm": "#!/bin/bash\ntrue\n",
    "submit.sh": `#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
sbatch --job-name=${jobName} --output=/dev/null job.slurm
touch "submitted-$BII_MESSAGE_ID"
sleep ${String(lingerSeconds)}
`,
  });
  return dir;
}

describe("a relay that dies or is stopped while it works", () => {
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
    const dir = lingeringSubmitScript(jobName, 2);
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

  it("on SIGTERM finishes the work in hand, leaves the rest in the queue and exits 0", async () => {
    const queueUrl = await createQueue(client, "fault-sigterm");
    const jobName = `sigterm-${String(Date.now())}`;
    const dir = lingeringSubmitScript(jobName, 3);
    await sendJobs(
      client,
      queueUrl,
      Array.from({ length: 5 }, () => ({})),
    );
    const relay = RelayProcess.start(
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: join(dir, "submit.sh"),
        RELAY_CONCURRENCY: "2",
        RELAY_SHUTDOWN_GRACE_SECONDS: "20",
      }),
    );

    await relay.waitForEvents("message_received", 2, 30_000);
    const signalled = Date.now();
    relay.signal("SIGTERM");
    const code = await relay.exited(30_000);
    const tookMs = Date.now() - signalled;
    const depth = await queueDepth(client, queueUrl);
    await deleteQueue(client, queueUrl);

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(20_000);
    expect(relay.events("message_deleted")).toHaveLength(2);
    expect(jobsNamed(jobName)).toHaveLength(2);
    expect(depth).toEqual({ visible: 3, inFlight: 0 });
    expect(relay.events("relay_stopped")).toMatchObject([
      { result: "drained" },
    ]);
  });
});
