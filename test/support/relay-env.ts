/**
 * Environments and job scripts for running the built relay against the
 * local stack.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chownSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { repoRoot, stack, testCredentials } from "./stack.js";

/** The settings a relay needs for the stack and one queue. */
export function relayEnv(
  queueUrl: string,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const s = stack();
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    QURL: queueUrl,
    AWS_REGION: s.region,
    AWS_ENDPOINT_URL_SQS: s.sqsEndpoint,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    USERID: s.sshUser,
    RIVANNA_HOST: s.sshHost,
    RIVANNA_PORT: String(s.sshPort),
    SSH_KEY_FILE: s.sshKeyPath,
    SSH_KNOWN_HOSTS: s.knownHostsPath,
    GIT_REPO: "uva-bii/pipeline",
    RELAY_WAIT_SECONDS: "1",
    RELAY_RETRY_DELAY_SECONDS: "1",
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
}

/** What a finished relay process left. */
export interface RelayRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's JSON log lines. */
  logs: Record<string, unknown>[];
}

/** Runs `bii-relay <args>` to completion (bounded by `timeoutMs`). */
export function runRelay(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RelayRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, "build", "relay", "cli.js"), ...args],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));

    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `bii-relay ${args.join(" ")} ran over ${timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, logs: jsonLines(stdout) });
    });
  });
}

/** Parses the JSON lines of a log, skipping anything else. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Writes files into a fresh directory in the test user's home, owned by
 * that user, and returns its path.
 */
export function installJobFiles(files: Record<string, string>): string {
  const home = stack().userHome;
  const dir = join(home, "tests", randomUUID().slice(0, 8));
  mkdirSync(dir, { recursive: true });

  const owner = statSync(home);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text, { mode: 0o755 });
    chownSync(join(dir, name), owner.uid, owner.gid);
  }
  chownSync(dir, owner.uid, owner.gid);
  chownSync(join(home, "tests"), owner.uid, owner.gid);
  return dir;
}

/**
 * A submit script in the original style: called as `bash submit.sh
 * "$VERSION"`, it submits `job.slurm` with the environment exported, and
 * the job writes its variables NUL-separated to env-JOBID.
 */
export function installSubmitScript(): string {
  return installJobFiles({
    "submit.sh": `#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
printf '%s' "$1" > "arg1-$BII_MESSAGE_ID"
sbatch --export=ALL --job-name=relay-test --output=out-%j.txt job.slurm
`,
    "job.slurm": `#!/bin/bash
env -0 > "env-$SLURM_JOB_ID"
`,
  });
}

/**
 * A submit script that, after sbatch answers, leaves a marker named for
 * the message (submitted-MESSAGE_ID) and lingers, so a test can act between
 * the submission and the relay's delete. Returns its folder.
 */
export function installLingeringSubmitScript(
  jobName: string,
  lingerSeconds: number,
): string {
  return installJobFiles({
    "job.slurm": "#!/bin/bash\ntrue\n",
    "submit.sh": `#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
sbatch --job-name=${jobName} --output=/dev/null job.slurm
touch "submitted-$BII_MESSAGE_ID"
sleep ${String(lingerSeconds)}
`,
  });
}
