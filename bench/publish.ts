/**
 * What one publish costs: the bundled action (dist/index.js) beside
 * `aws sqs send-message` and a bare `node -e 0`, each a new process sending
 * to the same queue on the local stack, in alternating rounds so a busy
 * moment hits every command alike. Writes bench/results/publish.md.
 *
 *   npm run bench:publish             (BENCH_ROUNDS=31 for more rounds)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

import { PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { format } from "prettier";

import {
  createQueue,
  deleteQueue,
  repoRoot,
  sqsClient,
  stack,
  testCredentials,
} from "../test/support/stack.js";

interface Contender {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
}

const rounds = Number(process.env.BENCH_ROUNDS ?? "21");
const warmup = 2;

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
      name: "node -e 0",
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
      name: "aws sqs send-message",
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

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
  );
}

function report(list: Contender[], times: Map<string, number[]>): string {
  const median = (name: string) => quantile(times.get(name) ?? [], 0.5);
  const bare = median("node -e 0");
  const cli = median("aws sqs send-message");
  const rows = list.map(({ name }) => {
    const all = times.get(name) ?? [];
    const m = median(name);
    return `| ${name} | ${m.toFixed(0)} | ${quantile(all, 0.1).toFixed(0)}-${quantile(all, 0.9).toFixed(0)} | ${(m / bare).toFixed(2)}x | ${(m / cli).toFixed(2)}x |`;
  });

  return [
    "# Publishing cost",
    "",
    `Wall time of one publish, each a new process sending one message to a standard queue on the local stack (fauxqs on 127.0.0.1), ${rounds} alternating rounds after ${warmup} warm-up rounds. Measured ${new Date().toISOString().slice(0, 16)}Z with Node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(2) ?? "?"} at the end.`,
    "",
    "| command | median ms | p10-p90 ms | / node -e 0 | / aws CLI |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "The action's run is signed, carries one custom attribute and writes its outputs and job summary. With keys in the environment (what aws-actions/configure-aws-credentials sets) it loads no AWS SDK; the SDK-chain row shows the cost when credentials must come from elsewhere (here a profile file). Against AWS the endpoint is HTTPS, which adds loading TLS (~15 ms measured here) and the network round trips.",
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const client = sqsClient();
  const queueUrl = await createQueue(client, "bench-publish");
  const dir = mkdtempSync(join(tmpdir(), "bii-bench-"));
  try {
    const list = contenders(queueUrl, dir);
    const times = new Map(list.map((c) => [c.name, [] as number[]]));
    for (let round = 0; round < warmup + rounds; round++) {
      for (const contender of list) {
        const ms = time(contender);
        if (round >= warmup) {
          times.get(contender.name)?.push(ms);
        }
      }
      await client.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    }

    // Formatted as `npm run check` expects the committed file to be.
    const markdown = await format(report(list, times), { parser: "markdown" });
    writeFileSync(join(repoRoot, "bench", "results", "publish.md"), markdown);
    process.stdout.write(markdown);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await deleteQueue(client, queueUrl);
    client.destroy();
  }
}

await main();
