import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { Client } from "ssh2";

import {
  connect,
  exec,
  knownHostsPolicy,
  sshConfig,
  stack,
} from "../support/stack.js";
import { waitForJob } from "../support/slurm.js";

describe("the local cluster over SSH", () => {
  let client: Client;

  beforeAll(async () => {
    client = await connect(sshConfig(knownHostsPolicy(stack().knownHostsPath)));
  });

  afterAll(() => {
    client.end();
  });

  it("runs sbatch for the test user and the job completes with its output", async () => {
    const marker = `stack-test-${String(Date.now())}`;
    const submitted = await exec(
      client,
      `sbatch --parsable --job-name=stack-test --output='%x-%j.out' --wrap='echo ${marker} from $SLURM_JOB_ID'`,
    );

    expect(submitted.stderr).toBe("");
    expect(submitted.code).toBe(0);
    const jobId = submitted.stdout.trim();
    expect(jobId).toMatch(/^\d+$/);

    await expect(waitForJob(jobId)).resolves.toBe("COMPLETED");
    const output = readFileSync(
      join(stack().userHome, `stack-test-${jobId}.out`),
      "utf8",
    );
    expect(output).toBe(`${marker} from ${jobId}\n`);
  });

  it("refuses a server whose host key is not the one in known_hosts", async () => {
    const wrong = sshConfig(knownHostsPolicy(stack().wrongKnownHostsPath));

    await expect(connect(wrong)).rejects.toThrow(/verification failed/i);
  });
});
