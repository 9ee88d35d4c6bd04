import { RelayMetrics } from "../../relay/metrics.js";

/** The value of one series in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

describe("the relay's metrics", () => {
  it("count each outcome once, refusals by reason and jobs by route", async () => {
    const metrics = new RelayMetrics({ processMetrics: false });
    const outcomes = [
      { kind: "submitted", jobId: "7", duplicate: false },
      { kind: "submitted", jobId: "7", duplicate: true },
      { kind: "failed", error: "exit code 1", unavailable: false },
      { kind: "refused", reason: "bad_signature" },
      { kind: "refused", reason: "bad_signature" },
      { kind: "in-progress" },
    ] as const;

    for (const outcome of outcomes) {
      metrics.messageStarted();
      if (outcome.kind !== "refused") {
        metrics.jobFinished("default", outcome, 0.2);
      }
      metrics.messageFinished(outcome, 0.3);
    }
    const text = await metrics.text();

    expect(sample(text, "bii_relay_messages_received_total")).toBe(6);
    expect(sample(text, "bii_relay_messages_succeeded_total")).toBe(2);
    expect(sample(text, "bii_relay_messages_failed_total")).toBe(1);
    expect(sample(text, "bii_relay_messages_deferred_total")).toBe(1);
    expect(
      sample(text, 'bii_relay_messages_refused_total{reason="bad_signature"}'),
    ).toBe(2);
    expect(
      sample(text, 'bii_relay_jobs_submitted_total{route="default"}'),
    ).toBe(1);
    expect(sample(text, "bii_relay_messages_in_flight")).toBe(0);
  });

  it("observe durations in seconds, by outcome", async () => {
    const metrics = new RelayMetrics({ processMetrics: false });
    metrics.messageStarted();
    metrics.messageFinished(
      { kind: "failed", error: "x", unavailable: false },
      1.5,
    );
    const text = await metrics.text();

    const series = "bii_relay_message_duration_seconds";
    expect(sample(text, `${series}_sum{outcome="failed"}`)).toBe(1.5);
    expect(sample(text, `${series}_bucket{le="1",outcome="failed"}`)).toBe(0);
    expect(sample(text, `${series}_bucket{le="2.5",outcome="failed"}`)).toBe(1);
  });

  it("show messages in flight until they finish", async () => {
    const metrics = new RelayMetrics({ processMetrics: false });
    metrics.messageStarted();
    metrics.messageStarted();
    metrics.messageFinished({ kind: "refused", reason: "expired" }, 0);

    expect(sample(await metrics.text(), "bii_relay_messages_in_flight")).toBe(
      1,
    );
  });

  it("read the last successful poll and a failing poll at scrape time", async () => {
    const metrics = new RelayMetrics({ processMetrics: false });
    const loop = { lastPollAt: 0, pollFailing: false };
    metrics.watchPoll(loop);
    loop.lastPollAt = 1_700_000_000_500;
    loop.pollFailing = true;
    const text = await metrics.text();

    expect(
      sample(text, "bii_relay_last_successful_poll_timestamp_seconds"),
    ).toBe(1_700_000_000.5);
    expect(sample(text, "bii_relay_poll_failing")).toBe(1);
  });

  it("name every series with the bii_relay_ prefix, the process's own included", async () => {
    const metrics = new RelayMetrics();
    const json = await metrics.registry.getMetricsAsJSON();

    const names = json.map((m) => m.name);
    expect(names).toContain("bii_relay_process_cpu_seconds_total");
    expect(names.filter((n) => !n.startsWith("bii_relay_"))).toEqual([]);
  });

  it("label no series with a message id, a SHA or a repository", async () => {
    const metrics = new RelayMetrics({ processMetrics: false });
    metrics.messageStarted();
    metrics.jobFinished(
      "default",
      { kind: "submitted", jobId: "9", duplicate: false },
      1,
    );
    metrics.messageFinished(
      { kind: "submitted", jobId: "9", duplicate: false },
      1,
    );
    const json = await metrics.registry.getMetricsAsJSON();

    const labels = new Set(
      json.flatMap((m) => m.values.flatMap((v) => Object.keys(v.labels))),
    );
    expect([...labels].sort()).toEqual(["le", "outcome", "result", "route"]);
  });
});
