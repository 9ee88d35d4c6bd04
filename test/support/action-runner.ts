/**
 * Runs the bundled action (dist/index.js) the way the runner does: a new
 * Node process with INPUT_* and GITHUB_* variables, the event payload in a
 * file, and files for outputs and the job summary; and reads back what it
 * sent to a test queue.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

import { repoRoot, stack, testCredentials } from "./stack.js";

/** The GitHub context of a run. */
export interface EventContext {
  name: string;
  payload: unknown;
  ref: string;
  sha: string;
  repository?: string;
}

/** What a run of the action left behind. */
export interface ActionRun {
  code: number;
  stdout: string;
  /** The `::error::` annotations, unescaped. */
  errors: string[];
  outputs: Record<string, string>;
  summary: string;
}

/** The payloads in @octokit/webhooks-examples, by event name. */
interface WebhookExamples {
  name: string;
  examples: Record<string, unknown>[];
}

const examplesPath = join(
  repoRoot,
  "node_modules/@octokit/webhooks-examples/api.github.com/index.json",
);

/**
 * A real webhook payload of one event, the first that `matches` accepts.
 * @throws when no example matches, naming the event
 */
export function webhookExample(
  event: string,
  matches: (payload: Record<string, unknown>) => boolean = () => true,
): Record<string, unknown> {
  const all = JSON.parse(
    readFileSync(examplesPath, "utf8"),
  ) as WebhookExamples[];
  const payload = all.find((e) => e.name === event)?.examples.find(matches);
  if (payload === undefined) {
    throw new Error(`no ${event} example in ${examplesPath} matches`);
  }
  return payload;
}

/** Input names as in action.yml (queue-url) to their runner variables. */
function inputVariables(inputs: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [
      `INPUT_${name.replaceAll(" ", "_").toUpperCase()}`,
      value,
    ]),
  );
}

/**
 * Runs dist/index.js with these inputs for this event. The environment is
 * built from scratch (no AWS_* of the machine leaks in); `env` adds to it or
 * removes a variable when given as undefined.
 */
export async function runAction(
  inputs: Record<string, string>,
  event: EventContext,
  env: Record<string, string | undefined> = {},
): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), "bii-action-"));
  try {
    const files = {
      event: join(dir, "event.json"),
      output: join(dir, "output"),
      summary: join(dir, "summary.md"),
    };
    writeFileSync(files.event, JSON.stringify(event.payload));
    writeFileSync(files.output, "");
    writeFileSync(files.summary, "");

    const variables = {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
      // Keeps the SDK's chain, when it is asked, from probing EC2.
      AWS_EC2_METADATA_DISABLED: "true",
      GITHUB_EVENT_NAME: event.name,
      GITHUB_EVENT_PATH: files.event,
      GITHUB_REPOSITORY: event.repository ?? "Codertocat/Hello-World",
      GITHUB_SHA: event.sha,
      GITHUB_REF: event.ref,
      GITHUB_RUN_ID: "1658821493",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_ACTOR: "Codertocat",
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      ...inputVariables(inputs),
      ...env,
    };
    const { code, stdout } = await run(variables);

    return {
      code,
      stdout,
      errors: annotations(stdout, "error"),
      outputs: parseOutputs(readFileSync(files.output, "utf8")),
      summary: readFileSync(files.summary, "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string }> {
  const main = join(repoRoot, "dist", "index.js");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main],
      { env, cwd: repoRoot, timeout: 30_000 },
      (error, stdout) => {
        const code = typeof error?.code === "number" ? error.code : 0;
        resolve({ code: error !== null && code === 0 ? -1 : code, stdout });
      },
    );
  });
}

/** The messages of one kind of workflow command, such as `error`. */
export function annotations(stdout: string, kind: string): string[] {
  const prefix = new RegExp(`^::${kind}(?: [^:]*)?::`);
  return stdout
    .split("\n")
    .filter((line) => prefix.test(line))
    .map((line) =>
      line
        .replace(prefix, "")
        .replaceAll("%0A", "\n")
        .replaceAll("%0D", "\r")
        .replaceAll("%25", "%"),
    );
}

/** Parses a GITHUB_OUTPUT file (name<<DELIMITER ... DELIMITER entries). */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const entry = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const [, name = "", , value = ""] of text.matchAll(entry)) {
    outputs[name] = value;
  }
  return outputs;
}

/** Inputs that point the action at the local SQS server. */
export function localQueueInputs(queueUrl: string): Record<string, string> {
  return { "queue-url": queueUrl, endpoint: stack().sqsEndpoint };
}

/**
 * Receives and deletes every message now in the queue, at most `limit` of
 * them; waits up to a second for the first.
 */
export async function drainQueue(
  client: SQSClient,
  queueUrl: string,
  limit = 10,
): Promise<Message[]> {
  const messages: Message[] = [];
  for (let round = 0; round < limit && messages.length < limit; round++) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        WaitTimeSeconds: messages.length === 0 && round === 0 ? 1 : 0,
      }),
    );
    if (Messages.length === 0) {
      break;
    }
    messages.push(...Messages);
  }

  for (const { ReceiptHandle } of messages) {
    await client.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle }),
    );
  }
  return messages;
}

/** How many messages the queue holds, visible or in flight. */
export async function queueDepth(
  client: SQSClient,
  queueUrl: string,
): Promise<number> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return Object.values(Attributes).reduce((sum, n) => sum + Number(n), 0);
}

/** A message's String attributes as a plain name -> value map. */
export function stringAttributes(message: Message): Record<string, string> {
  return Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      value.StringValue ?? "",
    ]),
  );
}
