import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

import type { SQSClient } from "@aws-sdk/client-sqs";

import { sendJob } from "../support/publish.js";
import { installJobFiles, relayEnv } from "../support/relay-env.js";
import { RelayProcess } from "../support/relay-process.js";
import {
  createQueue,
  deleteQueue,
  sqsClient,
  stack,
} from "../support/stack.js";

/** A fresh 40-hex-digit SHA, so that no two tests share an event. */
function sha(): string {
  return randomBytes(20).toString("hex");
}

/** Every series of a scrape, `name{labels}` to value. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(\S+) (\S+)$/.exec(line);
    if (match?.[1] !== undefined && !line.startsWith("#")) {
      series.set(match[1], Number(match[2]));
    }
  }
  return series;
}

// The script fails on purpose when a message asks it to.
const SUBMIT = `#!/bin/bash
if [ "\${OPS_FAIL:-}" = 1 ]; then echo "failing on purpose" >&2; exit 3; fi
sbatch --parsable --job-name=operations-run --output=/dev/null --wrap=true
`;

describe("a relay run with submitted, failed and refused messages", () => {
  const signingSecret = randomBytes(24).toString("base64url");
  const awsSecret = randomBytes(30).toString("base64url");
  let client: SQSClient;
  let queueUrl: string;
  let relay: RelayProcess;
  let metrics: Map<string, number>;
  const started = Date.now();

  beforeAll(async () => {
    client = sqsClient();
    queueUrl = await createQueue(client, "operations-run");
    const dir = installJobFiles({ "submit.sh": SUBMIT });

    await sendJob(client, queueUrl, { sha: sha() }, signingSecret);
    await sendJob(client, queueUrl, { sha: sha() }, signingSecret);
    await sendJob(
      client,
      queueUrl,
      { sha: sha(), attributes: { OPS_FAIL: "1" } },
      signingSecret,
    );
    await sendJob(client, queueUrl, { sha: sha() }, "not-the-signing-secret");
    await sendJob(client, queueUrl, { sha: sha() });

    relay = RelayProcess.start(
      relayEnv(queueUrl, {
        RIVANNA_SCRIPT: `${dir}/submit.sh`,
        SIGNING_SECRET: signingSecret,
        AWS_SECRET_ACCESS_KEY: awsSecret,
        LOG_LEVEL: "debug",
        RELAY_HTTP_HOST: "127.0.0.1",
        RELAY_HTTP_PORT: "0",
        // The failed message must not come back while the test watches.
        RELAY_RETRY_DELAY_SECONDS: "3600",
      }),
    );
    const url = await relay.httpUrl();

    // Counters move once each message is settled; wait for all five.
    const deadline = Date.now() + 45_000;
    do {
      await sleep(200);
      metrics = await scrape(url);
    } while (
      (metrics.get("bii_relay_messages_received_total") !== 5 ||
        metrics.get("bii_relay_messages_in_flight") !== 0) &&
      Date.now() < deadline
    );
  }, 90_000);

  afterAll(async () => {
    await relay.stop();
    await deleteQueue(client, queueUrl);
    client.destroy();
  });

  it("counts what happened on /metrics", () => {
    expect(metrics.get("bii_relay_messages_received_total")).toBe(5);
    expect(metrics.get("bii_relay_messages_succeeded_total")).toBe(2);
    expect(metrics.get("bii_relay_messages_failed_total")).toBe(1);
    expect(
      metrics.get('bii_relay_messages_refused_total{reason="bad_signature"}'),
    ).toBe(1);
    expect(
      metrics.get('bii_relay_messages_refused_total{reason="unsigned"}'),
    ).toBe(1);
    expect(metrics.get('bii_relay_jobs_submitted_total{route="default"}')).toBe(
      2,
    );
    expect(metrics.get("bii_relay_messages_in_flight")).toBe(0);
  });

  it("times each message in seconds and stamps the last successful poll", () => {
    const count = (outcome: string): number | undefined =>
      metrics.get(
        `bii_relay_message_duration_seconds_count{outcome="${outcome}"}`,
      );
    const lastPoll = metrics.get(
      "bii_relay_last_successful_poll_timestamp_seconds",
    );

    expect([count("submitted"), count("failed"), count("refused")]).toEqual([
      2, 1, 2,
    ]);
    expect(lastPoll).toBeGreaterThan(started / 1000);
    expect(lastPoll).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it("logs each outcome with its message id, repository, SHA, job id and duration", () => {
    const submitted = relay.events("job_submitted");
    const failed = relay.events("job_failed");

    expect(submitted).toHaveLength(2);
    for (const line of [...submitted, ...failed]) {
      expect(line).toEqual(
        expect.objectContaining({
          message_id: expect.any(String) as unknown,
          repository: "uva-bii/pipeline",
          sha: expect.stringMatching(/^[0-9a-f]{40}$/) as unknown,
          duration_s: expect.any(Number) as unknown,
        }),
      );
    }
    expect(submitted.map((l) => l.job_id)).toEqual([
      expect.stringMatching(/^\d+$/),
      expect.stringMatching(/^\d+$/),
    ]);
    expect(relay.events("message_refused")).toHaveLength(2);
  });

  it("prints none of its secrets, failures included", () => {
    const output = relay.output();
    const key = readFileSync(stack().sshKeyPath, "utf8");
    const keyLines = key
      .split("\n")
      .filter((l) => l.length >= 20 && !l.startsWith("-----"));

    expect(relay.events("job_failed")).toHaveLength(1);
    expect(keyLines.length).toBeGreaterThan(0);
    for (const secret of [signingSecret, awsSecret, ...keyLines]) {
      expect(output).not.toContain(secret);
    }
  });
});
