/**
 * Runs the original design's loop (bench/original-loop.sh) for one message:
 * sends it, runs one iteration without the sleep, and times when the job
 * id came out and when the iteration ended.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

import { repoRoot, stack, testCredentials } from "../test/support/stack.js";
import type { BenchJob } from "./job.js";

/** One message through one iteration of the original loop. */
export interface OriginalSample {
  /** From SendMessage until sbatch's job id was printed. */
  jobIdMs: number;
  /** From SendMessage until the iteration (delete included) ended. */
  iterationMs: number;
}

const SCRIPT = join(repoRoot, "bench", "original-loop.sh");
const TIMEOUT_MS = 60_000;

/** The original container's settings, for the local stack. */
export function originalLoopEnv(
  queueUrl: string,
  job: BenchJob,
): Record<string, string> {
  const s = stack();
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_DEFAULT_REGION: s.region,
    AWS_EC2_METADATA_DISABLED: "true",
    SQS_ENDPOINT: s.sqsEndpoint,
    QURL: queueUrl,
    USERID: s.sshUser,
    RIVANNA_HOST: s.sshHost,
    RIVANNA_PORT: String(s.sshPort),
    RIVANNA_SCRIPT: job.submitScript,
    SSH_KEY_FILE: s.sshKeyPath,
    SSH_KNOWN_HOSTS: s.knownHostsPath,
  };
}

/**
 * Sends a message in the original template's form and runs one iteration.
 * @throws when the script fails, prints no job id or runs over a minute
 */
export async function originalSample(
  client: SQSClient,
  queueUrl: string,
  env: Record<string, string>,
): Promise<OriginalSample> {
  const start = performance.now();
  await client.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: "release",
      MessageAttributes: {
        VERSION: { DataType: "String", StringValue: "1.2.3" },
      },
    }),
  );
  const { jobIdAt, endedAt } = await runIteration(env);
  return { jobIdMs: jobIdAt - start, iterationMs: endedAt - start };
}

function runIteration(
  env: Record<string, string>,
): Promise<{ jobIdAt: number; endedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [SCRIPT, "1", "0"], { env });
    let output = "";
    let jobIdAt: number | undefined;
    child.stdout.on("data", (d: Buffer) => {
      jobIdAt ??= performance.now();
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));

    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      const endedAt = performance.now();
      if (code !== 0 || jobIdAt === undefined || !/^\d+/m.test(output)) {
        reject(
          new Error(
            `the original loop failed (exit ${String(code)}), expected a job id: ${output}`,
          ),
        );
      } else {
        resolve({ jobIdAt, endedAt });
      }
    });
  });
}
