import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

import type { SQSClient } from "@aws-sdk/client-sqs";

import {
  checkoutPath,
  copyOf,
  dockerfile,
  execForm,
  finalStage,
} from "../support/dockerfile.js";
import { relayEnv } from "../support/relay-env.js";
import {
  createQueue,
  deleteQueue,
  repoRoot,
  sqsClient,
} from "../support/stack.js";

/** Copies what the image's last stage copies, where it puts it. */
function layOutAsImage(dir: string): void {
  const all = dockerfile();
  for (const instruction of finalStage(all)) {
    if (instruction.keyword !== "COPY") {
      continue;
    }
    const copy = copyOf(instruction);
    for (const source of copy.sources) {
      const from =
        copy.from === undefined
          ? join(repoRoot, source)
          : checkoutPath(source, all);
      const to = copy.destination.endsWith("/")
        ? join(dir, copy.destination, copy.from ? "" : basename(source))
        : join(dir, copy.destination);
      cpSync(from, to, { recursive: true });
    }
  }
}

describe("the relay installed as the image installs it", () => {
  let dir: string;
  let entrypoint: string[];
  let client: SQSClient;
  let queueUrl: string;

  const relay = (
    args: string[],
    env: Record<string, string>,
  ): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, [...entrypoint.slice(1), ...args], {
      cwd: dir,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bii-relay-image-"));
    layOutAsImage(dir);
    entrypoint = execForm(finalStage(), "ENTRYPOINT");

    // What the image's RUN does, from npm's cache when it can.
    const install = spawnSync(
      "npm",
      [
        "ci",
        "--omit=dev",
        "--ignore-scripts",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
      ],
      { cwd: dir, encoding: "utf8", timeout: 240_000 },
    );
    if (install.status !== 0) {
      throw new Error(
        `npm ci --omit=dev failed in ${dir}: ${install.stderr}${String(install.error ?? "")}`,
      );
    }

    client = sqsClient();
    queueUrl = await createQueue(client, "production-install");
  }, 300_000);

  afterAll(async () => {
    await deleteQueue(client, queueUrl);
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds the production dependencies and none of the dev ones", () => {
    const modules = join(dir, "node_modules");

    expect(existsSync(join(modules, "@aws-sdk", "client-sqs"))).toBe(true);
    expect(existsSync(join(modules, "pino-pretty"))).toBe(true);
    expect(existsSync(join(modules, "typescript"))).toBe(false);
    expect(existsSync(join(modules, "jest"))).toBe(false);
  });

  it("prints its usage", () => {
    const result = relay(["--help"], { PATH: process.env.PATH ?? "" });

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: bii-relay <command>/);
  });

  it("checks the configuration against the local queue and sshd", () => {
    const env = relayEnv(queueUrl, { RIVANNA_SCRIPT: "/bin/true" });

    const result = relay(["check"], env);

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ok +queue /m);
    expect(result.stdout).toMatch(/^ok +ssh biirelay@127\.0\.0\.1:2222: /m);
  });
});
