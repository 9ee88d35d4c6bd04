/**
 * The relay's Prometheus metrics: what became of each message and job, how
 * long it took, what is in flight, and when the queue last answered.
 *
 * Labels only take values from small fixed sets (an outcome, a refusal
 * reason, a route name from configuration). A SHA, a message id or a
 * repository would make a new time series per push, so none is a label;
 * they are in the logs instead.
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from "prom-client";

import type { Outcome } from "./processor.js";

/** The poll loop's state, read at each scrape. */
export interface PollState {
  /** When the last receive call succeeded (ms since the epoch), or 0. */
  lastPollAt: number;
  pollFailing: boolean;
}

/** Options for {@link RelayMetrics}. */
export interface MetricsOptions {
  /**
   * Also export the Node process's own metrics (CPU, memory, event loop),
   * prefixed `bii_relay_`.
   * @defaultValue true
   */
  processMetrics?: boolean;
}

// From a fast sbatch (a tenth of a second) to a slow login node under load
// (minutes); RELAY_JOB_TIMEOUT_SECONDS is at most an hour.
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const PREFIX = "bii_relay_";

/** The relay's metrics, in a registry of their own. */
export class RelayMetrics {
  /** Serves `/metrics`; one per relay, so tests never share counts. */
  readonly registry = new Registry();
  private readonly received: Counter;
  private readonly succeeded: Counter;
  private readonly failed: Counter;
  private readonly deferred: Counter;
  private readonly refused: Counter<"reason">;
  private readonly jobsSubmitted: Counter<"route">;
  private readonly messageSeconds: Histogram<"outcome">;
  private readonly submissionSeconds: Histogram<"result">;
  private readonly inFlight: Gauge;
  private pollState: () => PollState = () => ({
    lastPollAt: 0,
    pollFailing: false,
  });

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.received = new Counter({
      name: `${PREFIX}messages_received_total`,
      help: "Messages received from the queue, redeliveries included.",
      registers,
    });
    this.succeeded = new Counter({
      name: `${PREFIX}messages_succeeded_total`,
      help: "Messages whose job was submitted, now or by an earlier delivery.",
      registers,
    });
    this.failed = new Counter({
      name: `${PREFIX}messages_failed_total`,
      help: "Messages whose job could not be submitted; each is retried later.",
      registers,
    });
    this.deferred = new Counter({
      name: `${PREFIX}messages_deferred_total`,
      help: "Messages put back because another relay was submitting the same event.",
      registers,
    });
    this.refused = new Counter({
      name: `${PREFIX}messages_refused_total`,
      help: "Messages refused by the checks, by reason; none is retried.",
      labelNames: ["reason"],
      registers,
    });
    this.jobsSubmitted = new Counter({
      name: `${PREFIX}jobs_submitted_total`,
      help: "SLURM jobs submitted, by route.",
      labelNames: ["route"],
      registers,
    });
    this.messageSeconds = new Histogram({
      name: `${PREFIX}message_duration_seconds`,
      help: "Time from receiving a message to its outcome, by outcome.",
      labelNames: ["outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.submissionSeconds = new Histogram({
      name: `${PREFIX}job_submission_duration_seconds`,
      help: "Time the command on the cluster took, by result.",
      labelNames: ["result"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: `${PREFIX}messages_in_flight`,
      help: "Messages being processed now.",
      registers,
    });
    this.definePollGauges();

    if (options.processMetrics ?? true) {
      collectDefaultMetrics({
        register: this.registry,
        prefix: PREFIX,
        // The default samples the event loop every 10 ms, which is most of
        // an idle relay's CPU; a relay that waits on the network needs
        // no finer view of its lag than a second.
        eventLoopMonitoringPrecision: 1000,
      });
    }
  }

  /**
   * Reads the poll loop's state at each scrape from now on.
   * @param state - usually the relay's Consumer
   */
  watchPoll(state: PollState): void {
    this.pollState = () => state;
  }

  /** A message was received and its processing begins. */
  messageStarted(): void {
    this.received.inc();
    this.inFlight.inc();
  }

  /**
   * A message's processing ended.
   * @param seconds - since messageStarted()
   */
  messageFinished(outcome: Outcome, seconds: number): void {
    this.inFlight.dec();
    this.messageSeconds.observe({ outcome: outcomeLabel(outcome) }, seconds);

    switch (outcome.kind) {
      case "submitted":
        this.succeeded.inc();
        break;
      case "failed":
        this.failed.inc();
        break;
      case "in-progress":
        this.deferred.inc();
        break;
      case "refused":
        this.refused.inc({ reason: outcome.reason });
    }
  }

  /**
   * The command on the cluster for an accepted message ended. Only a new
   * submission counts as a job; a duplicate names an earlier one.
   * @param route - the route's name, from configuration
   * @param seconds - how long the command took
   */
  jobFinished(route: string, outcome: Outcome, seconds: number): void {
    const result = outcomeLabel(outcome);
    this.submissionSeconds.observe({ result }, seconds);
    if (outcome.kind === "submitted" && !outcome.duplicate) {
      this.jobsSubmitted.inc({ route });
    }
  }

  /** The metrics in Prometheus text format. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  private definePollGauges(): void {
    const read = (): PollState => this.pollState();
    new Gauge({
      name: `${PREFIX}last_successful_poll_timestamp_seconds`,
      help: "When the queue last answered a receive call (0: not yet).",
      registers: [this.registry],
      collect() {
        this.set(read().lastPollAt / 1000);
      },
    });
    new Gauge({
      name: `${PREFIX}poll_failing`,
      help: "1 while receive calls fail (the relay backs off and retries).",
      registers: [this.registry],
      collect() {
        this.set(read().pollFailing ? 1 : 0);
      },
    });
  }
}

/** An outcome as a label value: one of a fixed few. */
function outcomeLabel(outcome: Outcome): string {
  if (outcome.kind === "submitted") {
    return outcome.duplicate ? "duplicate" : "submitted";
  }
  return outcome.kind === "in-progress" ? "deferred" : outcome.kind;
}
