/**
 * What one publish costs: the bundled action (dist/index.js) beside
 * `aws sqs send-message` and a bare `node -e 0`, each a new process sending
 * to the same queue on the local stack, in alternating rounds so a busy
 * moment hits every command alike.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { PurgeQueueCommand, type SQSClient } from "@aws-sdk/client-sqs";

import {
  createQueue,
  deleteQueue,
  repoRoot,
  stack,
  testCredentials,
} from "../test/support/stack.js";
import { fixed, medianWithSpread, type Section } from "./report.js";
import { summarize, type Summary } from "./stats.js";

interface Contender {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
}

const warmup = 2;
const BARE = "node -e 0";
const CLI = "aws sqs send-message";

function contenders(queueUrl: string, dir: string): Contender[] {
  const { sqsEndpoint, region } = stack();
  const aws = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
  };
  const event = join(dir, "event.json");
  writeFileSync(event, JSON.stringify({ ref: "refs/tags/v1.2.3" }));
  const action = {
    ...aws,
    "INPUT_QUEUE-URL": queueUrl,
    INPUT_ENDPOINT: sqsEndpoint,
    INPUT_ATTRIBUTES: "PARTITION=debug",
    "INPUT_SIGNING-SECRET": "bench-secret",
    GITHUB_EVENT_NAME: "push",
    GITHUB_EVENT_PATH: event,
    GITHUB_REPOSITORY: "uva/bii",
    GITHUB_SHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    GITHUB_REF: "refs/tags/v1.2.3",
    GITHUB_RUN_ID: "1",
    GITHUB_OUTPUT: join(dir, "output"),
    GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
  };
  const profile = join(dir, "credentials");
  writeFileSync(
    profile,
    `[bench]\naws_access_key_id = ${aws.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${aws.AWS_SECRET_ACCESS_KEY}\n`,
  );

  return [
    {
      name: BARE,
      command: process.execPath,
      args: ["-e", "0"],
      env: aws,
    },
    {
      name: "action",
      command: process.execPath,
      args: [join(repoRoot, "dist", "index.js")],
      env: action,
    },
    {
      name: "action, credentials via the SDK chain",
      command: process.execPath,
      args: [join(repoRoot, "dist", "index.js")],
      env: {
        ...action,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SHARED_CREDENTIALS_FILE: profile,
        AWS_CONFIG_FILE: join(dir, "no-config"),
        AWS_PROFILE: "bench",
      },
    },
    {
      name: CLI,
      command: "aws",
      args: [
        "--endpoint-url",
        sqsEndpoint,
        "--region",
        region,
        "sqs",
        "send-message",
        "--queue-url",
        queueUrl,
        "--message-body",
        '{"contract":1}',
        "--message-attributes",
        "VERSION={DataType=String,StringValue=1.2.3}",
      ],
      env: aws,
    },
  ];
}

/** Wall time of one run in milliseconds; throws if the command failed. */
function time(contender: Contender): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(contender.command, contender.args, {
    env: contender.env,
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `${contender.name} failed (exit ${String(result.status)}): ${result.stdout}${result.stderr}`,
    );
  }
  return ms;
}

/** How many alternating rounds to time, after two warm-up rounds. */
export interface PublishSettings {
  rounds: number;
}

async function timeRounds(
  client: SQSClient,
  queueUrl: string,
  list: Contender[],
  rounds: number,
): Promise<Map<string, number[]>> {
  const times = new Map(list.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < warmup + rounds; round++) {
    // Each round starts with another command, so none always runs first.
    for (let i = 0; i < list.length; i++) {
      const contender = list[(round + i) % list.length];
      if (contender === undefined) {
        continue;
      }
      const ms = time(contender);
      if (round >= warmup) {
        times.get(contender.name)?.push(ms);
      }
    }
    await client.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  }
  return times;
}

function publishSection(
  list: Contender[],
  summaries: Map<string, Summary>,
  rounds: number,
): Section {
  const median = (name: string) => summaries.get(name)?.median ?? NaN;
  const rows = list.map(({ name }) => {
    const s = summaries.get(name);
    return [
      name,
      s === undefined ? "n/a" : medianWithSpread(s),
      `${fixed(median(name) / median(BARE), 2)}x`,
      `${fixed(median(name) / median(CLI), 2)}x`,
    ];
  });

  return {
    title: "Publishing cost",
    method: `Wall time of one publish, each a new process sending one message to a standard queue on the local stack (fauxqs on 127.0.0.1), ${rounds} alternating rounds after ${warmup} warm-up rounds. Milliseconds, median (p10-p90).`,
    header: ["command", "ms", "/ node -e 0", "/ aws CLI"],
    rows,
    notes: [
      "The action's run is signed, carries one custom attribute and writes its outputs and job summary. With keys in the environment (what aws-actions/configure-aws-credentials sets) it loads no AWS SDK; the SDK-chain row shows the cost when credentials must come from elsewhere (here a profile file). Against AWS the endpoint is HTTPS, which adds loading TLS (~15 ms measured here) and the network round trips.",
    ],
  };
}

/** Runs the publish benchmark on a queue of its own. */
export async function benchPublish(
  client: SQSClient,
  settings: PublishSettings,
): Promise<{ section: Section }> {
  const queueUrl = await createQueue(client, "bench-publish");
  const dir = mkdtempSync(join(tmpdir(), "bii-bench-"));
  try {
    const list = contenders(queueUrl, dir);
    const times = await timeRounds(client, queueUrl, list, settings.rounds);
    const summaries = new Map(
      [...times].map(([name, values]) => [name, summarize(values)]),
    );
    return { section: publishSection(list, summaries, settings.rounds) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await deleteQueue(client, queueUrl);
  }
}
