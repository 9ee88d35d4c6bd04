import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import {
  localQueueInputs,
  runAction,
  webhookExample,
} from "../support/action-runner.js";
import { newSha, readJobEnv } from "../support/publish.js";
import {
  installSubmitScript,
  relayEnv,
  runRelay,
} from "../support/relay-env.js";
import { waitForJob } from "../support/slurm.js";
import {
  createQueue,
  deleteQueue,
  sqsClient,
  stack,
} from "../support/stack.js";

const SECRET = "end-to-end-signing-secret-1234";

describe("from the Action's bundle to a finished SLURM job", () => {
  let client: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "end-to-end");
  });

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  /** Publishes with dist/index.js, then runs `bii-relay once`. */
  async function publishAndRelay(
    event: Parameters<typeof runAction>[1],
    inputs: Record<string, string>,
    relay: Record<string, string>,
  ): Promise<{ jobId: string; messageId: string }> {
    const published = await runAction(
      { ...localQueueInputs(queueUrl), "signing-secret": SECRET, ...inputs },
      event,
    );
    expect(published.errors).toEqual([]);
    expect(published.code).toBe(0);

    const run = await runRelay(
      ["once"],
      relayEnv(queueUrl, {
        SIGNING_SECRET: SECRET,
        GIT_REPO: "Codertocat/Hello-World",
        ...relay,
      }),
    );
    const submitted = run.logs.find((l) => l.event === "job_submitted");
    expect(submitted).toBeDefined();
    const jobId = String(submitted?.job_id);
    await expect(waitForJob(jobId)).resolves.toBe("COMPLETED");
    return { jobId, messageId: published.outputs["message-id"] ?? "" };
  }

  it("runs the configured script for a branch push, with the push's variables", async () => {
    const dir = installSubmitScript();
    const payload = webhookExample(
      "push",
      (p) => p.ref === "refs/heads/master",
    );
    const sha = newSha();

    const { jobId, messageId } = await publishAndRelay(
      {
        name: "push",
        payload: { ...payload, after: sha },
        ref: "refs/heads/master",
        sha,
      },
      { attributes: "DATASET=hg38\nTHREADS=16" },
      { RIVANNA_SCRIPT: join(dir, "submit.sh") },
    );

    expect(readJobEnv(join(dir, `env-${jobId}`))).toMatchObject({
      GIT_REPO: "Codertocat/Hello-World",
      GIT_SHA: sha,
      GIT_REF: "refs/heads/master",
      VERSION: "",
      EVENT: "push",
      DATASET: "hg38",
      THREADS: "16",
      BII_MESSAGE_ID: messageId,
    });
  });

  it("runs sbatch itself for a published release, with the release's version", async () => {
    const dir = installSubmitScript();
    const routes = join(dir, "routes.yaml");
    writeFileSync(
      routes,
      `routes:
  - repository: Codertocat/*
    events: [release]
    sbatch:
      script: ${join(dir, "job.slurm")}
      job-name: e2e-release
      partition: ${stack().partition}
`,
    );
    const payload = webhookExample("release", (p) => p.action === "published");
    const sha = newSha();
    const tag = `v4.${String(Date.now())}.0`;
    const release = payload.release as Record<string, unknown>;

    const { jobId } = await publishAndRelay(
      {
        name: "release",
        payload: { ...payload, release: { ...release, tag_name: tag } },
        ref: `refs/tags/${tag}`,
        sha,
      },
      {},
      { ROUTES_FILE: routes },
    );

    expect(readJobEnv(join(stack().userHome, `env-${jobId}`))).toMatchObject({
      SLURM_JOB_NAME: "e2e-release",
      EVENT: "release",
      VERSION: tag.slice(1),
      GIT_REF: `refs/tags/${tag}`,
      GIT_SHA: sha,
    });
  });

  it("delivers hostile values byte for byte and never runs them", async () => {
    const dir = installSubmitScript();
    const marker = `/tmp/bii-pwned-${String(Date.now())}`;
    const hostile = [
      'zzz";echo${IFS}"hello";#',
      `$(touch ${marker}-dollar)`,
      `\`touch ${marker}-backtick\``,
      `'; touch ${marker}-quote; '`,
      `"; touch ${marker}-dquote; "`,
      `a\\b\\\\c && touch ${marker}-and || true | cat`,
      `line one\nline two; touch ${marker}-newline\n`,
      "* ? [a-z] ~ $HOME ${PATH} %s %n",
      "x".repeat(20_000),
      // Only the Basic Multilingual Plane: the local SQS server refuses
      // characters past U+FFFF, which SQS itself accepts.
      "héllo wörld ✓ 日本語 Ωμέγα",
      "\t tabs and  spaces \t",
      "-n --help -e",
    ];

    for (let i = 0; i < hostile.length; i += 4) {
      const values = hostile.slice(i, i + 4);
      const attributes = Object.fromEntries(values.map((v, j) => [`V${j}`, v]));
      const sha = newSha();
      const version = 'zzz";echo${IFS}"hello";#$(id)';

      const { jobId, messageId } = await publishAndRelay(
        {
          name: "workflow_dispatch",
          payload: webhookExample("workflow_dispatch"),
          ref: "refs/heads/main",
          sha,
        },
        { attributes: JSON.stringify(attributes), version },
        { RIVANNA_SCRIPT: join(dir, "submit.sh") },
      );

      const env = readJobEnv(join(dir, `env-${jobId}`));
      expect(env).toMatchObject({ ...attributes, VERSION: version });
      const arg1 = readFileSync(join(dir, `arg1-${messageId}`), "utf8");
      expect(arg1).toBe(version);
    }
    for (const suffix of [
      "dollar",
      "backtick",
      "quote",
      "dquote",
      "and",
      "newline",
    ]) {
      expect(existsSync(`${marker}-${suffix}`)).toBe(false);
    }
  });
});
