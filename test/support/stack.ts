/**
 * What tests know about the running local stack (stack/stack.sh up writes
 * .stack/stack.json) and small clients for it.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Client, type ConnectConfig } from "ssh2";

import {
  hostKeyProblem,
  parseKnownHosts,
  type HostKeyPolicy,
} from "../../relay/host-key.js";

/** The endpoints and files of the local stack. */
export interface Stack {
  sqsEndpoint: string;
  region: string;
  sshHost: string;
  sshPort: number;
  sshUser: string;
  sshKeyPath: string;
  knownHostsPath: string;
  wrongKnownHostsPath: string;
  userHome: string;
  stateDir: string;
  sshdLog: string;
  sshdPidFile: string;
  sshdConfig: string;
  sqsPidFile: string;
  slurmctldPidFile: string;
  partition: string;
}

/** The repository root (build/test/support is three levels below it). */
export const repoRoot = join(import.meta.dirname, "..", "..", "..");

let cached: Stack | undefined;

/** Reads .stack/stack.json; fails with how to start the stack. */
export function stack(): Stack {
  if (cached !== undefined) {
    return cached;
  }
  const file = join(repoRoot, ".stack", "stack.json");
  try {
    cached = JSON.parse(readFileSync(file, "utf8")) as Stack;
  } catch (error) {
    throw new Error(
      `the local stack is not running (${file} unreadable); start it with 'bash stack/stack.sh up' or run 'npm test'`,
      { cause: error },
    );
  }
  return cached;
}

/** Static test credentials: the local SQS server accepts any. */
export const testCredentials = {
  accessKeyId: "AKIDLOCALSTACK",
  secretAccessKey: "local-stack-secret-key",
};

/** An SQS client for the local server. */
export function sqsClient(): SQSClient {
  const s = stack();
  return new SQSClient({
    endpoint: s.sqsEndpoint,
    region: s.region,
    credentials: testCredentials,
  });
}

/** A queue of its own for one test; FIFO when the name ends in `.fifo`. */
export async function createQueue(
  client: SQSClient,
  prefix: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const fifo = prefix.endsWith(".fifo");
  const base = fifo ? prefix.slice(0, -5) : prefix;
  const name = `${base}-${randomUUID().slice(0, 8)}${fifo ? ".fifo" : ""}`;
  const result = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: fifo ? { FifoQueue: "true", ...attributes } : attributes,
    }),
  );
  if (result.QueueUrl === undefined) {
    throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  }
  return result.QueueUrl;
}

/** A queue whose redrive policy names a dead-letter queue of its own. */
export async function createQueueWithDeadLetter(
  client: SQSClient,
  prefix: string,
  maxReceiveCount: number,
): Promise<{ queueUrl: string; deadLetterUrl: string }> {
  const deadLetterUrl = await createQueue(client, `${prefix}-dlq`);
  const arn = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: deadLetterUrl,
      AttributeNames: ["QueueArn"],
    }),
  );
  const queueUrl = await createQueue(client, prefix, {
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: arn.Attributes?.QueueArn,
      maxReceiveCount,
    }),
  });
  return { queueUrl, deadLetterUrl };
}

/** Deletes a test queue, ignoring one that is already gone. */
export async function deleteQueue(
  client: SQSClient,
  queueUrl: string,
): Promise<void> {
  await client
    .send(new DeleteQueueCommand({ QueueUrl: queueUrl }))
    .catch(() => {
      // Already gone: nothing to clean up.
    });
}

/** The host-key policy of a known_hosts file of the stack. */
export function knownHostsPolicy(path: string): HostKeyPolicy {
  return {
    kind: "known-hosts",
    entries: parseKnownHosts(readFileSync(path, "utf8")),
    source: path,
  };
}

/** ssh2 settings for the test user, verifying the host key with `policy`. */
export function sshConfig(policy: HostKeyPolicy): ConnectConfig {
  const s = stack();
  return {
    host: s.sshHost,
    port: s.sshPort,
    username: s.sshUser,
    privateKey: readFileSync(s.sshKeyPath),
    readyTimeout: 10_000,
    hostVerifier: (key: Buffer) =>
      hostKeyProblem(policy, s.sshHost, s.sshPort, key) === undefined,
  };
}

/** Opens an ssh2 connection, or rejects with the connection error. */
export function connect(config: ConnectConfig): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once("ready", () => {
      resolve(client);
    });
    client.once("error", reject);
    client.connect(config);
  });
}

/** The result of one remote command. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command over an open connection and collects its output. */
export function exec(client: Client, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) {
        reject(error);
        return;
      }
      let stdout = "";
      let stderr = "";
      channel.on("data", (d: Buffer) => (stdout += d.toString()));
      channel.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      channel.on("close", (code: number | null) => {
        resolve({ code, stdout, stderr });
      });
    });
  });
}
