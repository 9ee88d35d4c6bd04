/**
 * The demo: on the running local stack, publish a push event through the
 * bundled Action exactly as a GitHub runner would run it, let the relay
 * receive it and submit a real SLURM job, then show the job id and output.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const root = join(import.meta.dirname, "..", "..");
const stack = JSON.parse(
  readFileSync(join(root, ".stack", "stack.json"), "utf8"),
) as Record<string, string>;

const say = (text: string): void => {
  process.stdout.write(`\n==> ${text}\n`);
};

const credentials = {
  AWS_ACCESS_KEY_ID: "AKIDLOCALSTACK",
  AWS_SECRET_ACCESS_KEY: "local-stack-secret-key",
  AWS_REGION: "us-east-1",
  AWS_ENDPOINT_URL_SQS: stack.sqsEndpoint ?? "",
};
const signingSecret = randomUUID() + randomUUID();

say("creating the queue");
const queueUrl = createQueue(`bii-demo-${randomUUID().slice(0, 8)}`);
process.stdout.write(`${queueUrl}\n`);

say("installing the job scripts on the cluster account");
const scriptDir = installScripts();

// A fresh commit id each run: the relay's ledger on the cluster remembers
// every event it submitted, and the demo wants a new one.
const sha = randomBytes(20).toString("hex");
const event = pushEvent(sha);

say(`publishing a push of ${sha.slice(0, 7)} with the Action (dist/index.js)`);
publish(queueUrl, event);

say("running the relay once (bii-relay once)");
const relayLog = runRelay(queueUrl, scriptDir);
const jobId = /"event":"job_submitted","job_id":"(\d+)"/.exec(relayLog)?.[1];
if (jobId === undefined) {
  throw new Error("the relay submitted no job; its log is above");
}

say("publishing the same push again: SQS delivers at least once");
publish(queueUrl, event);
const again = runRelay(queueUrl, scriptDir);
const duplicateOf = /"event":"duplicate_event","job_id":"(\d+)"/.exec(
  again,
)?.[1];
if (duplicateOf !== jobId) {
  throw new Error(`the second delivery was not answered with job ${jobId}`);
}
process.stdout.write(`no second job: the relay answered with job ${jobId}\n`);

say(`waiting for SLURM job ${jobId}`);
const state = await waitForJob(jobId);
process.stdout.write(`job ${jobId}: ${state}\n`);
say(`the job's output (${scriptDir}/job-${jobId}.out)`);
process.stdout.write(readFileSync(join(scriptDir, `job-${jobId}.out`), "utf8"));
if (state !== "COMPLETED") {
  process.exitCode = 1;
}

function createQueue(name: string): string {
  const out = execFileSync(
    "node",
    [
      "--input-type=module",
      "-e",
      `import { SQSClient, CreateQueueCommand } from "@aws-sdk/client-sqs";
       const c = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
       const r = await c.send(new CreateQueueCommand({ QueueName: ${JSON.stringify(name)} }));
       process.stdout.write(r.QueueUrl);`,
    ],
    { cwd: root, env: { ...process.env, ...credentials }, encoding: "utf8" },
  );
  return out.trim();
}

function installScripts(): string {
  const home = stack.userHome ?? "";
  const dir = join(home, "bii-demo");
  mkdirSync(dir, { recursive: true });

  // The relay runs this as `bash submit.sh "$VERSION"`, like the original
  // RIVANNA_SCRIPT: it calls sbatch, which prints the job id.
  writeFileSync(
    join(dir, "submit.sh"),
    `#!/bin/bash
set -euo pipefail
cd "$HOME/bii-demo"
sbatch --export=ALL --job-name=bii-demo --output="$HOME/bii-demo/job-%j.out" job.slurm
`,
  );
  writeFileSync(
    join(dir, "job.slurm"),
    `#!/bin/bash
echo "SLURM job $SLURM_JOB_ID on $(hostname) for $GIT_REPO"
echo "event:   $EVENT"
echo "ref:     $GIT_REF"
echo "sha:     $GIT_SHA"
echo "version: \${VERSION:-(none: a branch push)}"
echo "run:     $GITHUB_RUN_URL"
echo "DATASET: $DATASET"
`,
  );
  const owner = statSync(home);
  for (const path of [dir, join(dir, "submit.sh"), join(dir, "job.slurm")]) {
    chownSync(path, owner.uid, owner.gid);
  }
  chmodSync(join(dir, "submit.sh"), 0o755);
  return dir;
}

function pushEvent(commit: string): Record<string, unknown> {
  const examples = JSON.parse(
    readFileSync(
      join(
        root,
        "node_modules/@octokit/webhooks-examples/api.github.com/index.json",
      ),
      "utf8",
    ),
  ) as { name: string; examples: Record<string, unknown>[] }[];
  const payload = examples
    .find((e) => e.name === "push")
    ?.examples.find((p) => String(p.ref).startsWith("refs/heads/"));
  if (payload === undefined) {
    throw new Error("no branch push example in @octokit/webhooks-examples");
  }
  return { ...payload, after: commit };
}

function publish(url: string, payload: Record<string, unknown>): void {
  const dir = mkdtempSync(join(tmpdir(), "bii-demo-"));
  const event = join(dir, "event.json");
  const output = join(dir, "output");
  writeFileSync(event, JSON.stringify(payload));
  writeFileSync(output, "");
  writeFileSync(join(dir, "summary"), "");

  const repository = (payload.repository as { full_name: string }).full_name;
  const result = spawnSync("node", [join(root, "dist", "index.js")], {
    env: {
      ...process.env,
      ...credentials,
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: event,
      GITHUB_REPOSITORY: repository,
      GITHUB_SHA: payload.after as string,
      GITHUB_REF: payload.ref as string,
      GITHUB_ACTOR: "octocat",
      GITHUB_RUN_ID: "42",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: join(dir, "summary"),
      "INPUT_QUEUE-URL": url,
      INPUT_ENDPOINT: stack.sqsEndpoint ?? "",
      INPUT_ATTRIBUTES: "DATASET=demo-run",
      "INPUT_SIGNING-SECRET": signingSecret,
    },
    encoding: "utf8",
  });
  process.stdout.write(result.stdout + result.stderr);
  if (result.status !== 0) {
    throw new Error(
      `the Action failed with exit code ${String(result.status)}`,
    );
  }
  process.env.DEMO_REPOSITORY = repository;
}

function runRelay(url: string, dir: string): string {
  const result = spawnSync(
    "node",
    [join(root, "build", "relay", "cli.js"), "once"],
    {
      env: {
        ...process.env,
        ...credentials,
        QURL: url,
        USERID: stack.sshUser,
        RIVANNA_HOST: stack.sshHost,
        RIVANNA_PORT: String(stack.sshPort),
        RIVANNA_SCRIPT: join(dir, "submit.sh"),
        GIT_REPO: process.env.DEMO_REPOSITORY,
        SSH_KEY_FILE: stack.sshKeyPath,
        SSH_KNOWN_HOSTS: stack.knownHostsPath,
        SIGNING_SECRET: signingSecret,
        RELAY_WAIT_SECONDS: "5",
      },
      encoding: "utf8",
    },
  );
  process.stdout.write(result.stdout + result.stderr);
  if (result.status !== 0) {
    throw new Error(`the relay exited with ${String(result.status)}`);
  }
  return result.stdout;
}

async function waitForJob(id: string): Promise<string> {
  for (let i = 0; i < 150; i++) {
    const out = spawnSync("scontrol", ["show", "job", id], {
      encoding: "utf8",
    });
    const state = /JobState=(\S+)/.exec(out.stdout)?.[1];
    if (
      state !== undefined &&
      !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].includes(state)
    ) {
      return state;
    }
    await sleep(200);
  }
  throw new Error(`job ${id} did not finish within 30 s`);
}
