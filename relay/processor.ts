/**
 * What the relay does with one received message: check it, run its job on
 * the cluster, and settle it with SQS. A message is deleted only after the
 * job id is known; a failure pushes its next delivery back; a refused
 * message is set aside, never retried.
 */
import type { Message } from "@aws-sdk/client-sqs";

import { backoffMs } from "./backoff.js";
import {
  checkMessage,
  type InboundPolicy,
  type JobRequest,
  type Refusal,
} from "./inbound.js";
import type { Availability } from "./availability.js";

import type { Logger } from "./logger.js";
import type { RelayMetrics } from "./metrics.js";
import type { RelayQueue } from "./queue.js";
import type { SshPool } from "./ssh-pool.js";
import {
  interpretError,
  interpretResult,
  remoteInvocation,
  type SubmissionResult,
} from "./submission.js";

/** What the processor needs. */
export interface ProcessorDeps {
  queue: RelayQueue;
  pool: SshPool;
  policy: InboundPolicy;
  logger: Logger;
  jobTimeoutSeconds: number;
  retryDelaySeconds: number;
  visibilityTimeoutSeconds: number;
  ledgerDir: string;
  /** Counts outcomes and durations for /metrics, when served. */
  metrics?: RelayMetrics;
  /** Told when the cluster cannot take work, so receiving pauses. */
  availability?: Availability;
  now?: () => Date;
  random?: () => number;
}

/** How one message ended. */
export type Outcome =
  | { kind: "submitted"; jobId: string; duplicate: boolean }
  | { kind: "in-progress" }
  | { kind: "failed"; error: string; unavailable: boolean }
  | { kind: "refused"; reason: string };

/** Handles received messages one at a time; run many in parallel. */
export class Processor {
  private readonly deps: ProcessorDeps;
  private readonly now: () => Date;

  constructor(deps: ProcessorDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  /** Checks, runs and settles one message. Never throws. */
  async process(message: Message): Promise<Outcome> {
    const messageId = message.MessageId ?? "";
    const log = this.deps.logger.child({ message_id: messageId });
    const started = performance.now();
    this.deps.metrics?.messageStarted();
    log.info(
      { event: "message_received", receive_count: receiveCount(message) },
      "message received",
    );

    const verdict = checkMessage(
      {
        messageId,
        body: message.Body ?? "",
        attributes: message.MessageAttributes ?? {},
        sentAt: sentAt(message, this.now()),
      },
      this.deps.policy,
      this.now(),
    );

    const outcome =
      verdict.kind === "refused"
        ? await this.refuse(message, verdict, log)
        : await this.run(message, verdict, log);
    const seconds = (performance.now() - started) / 1000;
    this.deps.metrics?.messageFinished(outcome, seconds);
    return outcome;
  }

  private async refuse(
    message: Message,
    refusal: Refusal,
    log: Logger,
  ): Promise<Outcome> {
    const fields = {
      event: "message_refused",
      reason: refusal.reason,
      repository: refusal.repository,
    };
    try {
      const kept = await this.deps.queue.setAside(message, refusal.reason);
      log.error(
        { ...fields, dead_lettered: kept, detail: refusal.detail },
        `message refused: ${refusal.detail}`,
      );
    } catch (error) {
      // It comes back after its visibility timeout and is refused again.
      log.error(
        { ...fields, err: error, detail: refusal.detail },
        "message refused; setting it aside failed",
      );
    }
    return { kind: "refused", reason: refusal.reason };
  }

  private async run(
    message: Message,
    request: JobRequest,
    parent: Logger,
  ): Promise<Outcome> {
    const { message: job, route } = request;
    const log = parent.child({
      repository: job.repository,
      sha: job.sha,
      route: route.name,
    });
    const started = performance.now();

    const heartbeat = this.startHeartbeat(message, log);
    let outcome: Outcome;
    try {
      outcome = await this.submit(message, request, log);
    } finally {
      await heartbeat.stop();
    }

    const seconds = (performance.now() - started) / 1000;
    this.deps.metrics?.jobFinished(route.name, outcome, seconds);
    if (outcome.kind === "failed" && outcome.unavailable) {
      this.deps.availability?.markDown(route.target, outcome.error);
    } else {
      this.deps.availability?.markUp(route.target);
    }

    if (outcome.kind === "submitted") {
      const event = outcome.duplicate ? "duplicate_event" : "job_submitted";
      const text = outcome.duplicate
        ? `event already submitted as job ${outcome.jobId}`
        : `job ${outcome.jobId} submitted`;
      log.info({ event, job_id: outcome.jobId, duration_s: seconds }, text);
      await this.settle(message, log, outcome.jobId);
    } else if (outcome.kind === "in-progress") {
      log.info(
        { event: "event_in_progress", duration_s: seconds },
        "another attempt holds this event; checking again later",
      );
      // Not a failure: look again once the holder has finished or its claim
      // has gone stale (the job timeout plus a minute), rather than after
      // the retry back-off, whose short first delays would spend receives
      // toward the dead-letter queue meanwhile.
      await this.setVisibility(
        message,
        log,
        this.deps.jobTimeoutSeconds + 120,
        "recheck",
      );
    } else if (outcome.kind === "failed") {
      log.error(
        {
          event: "job_failed",
          error: outcome.error,
          unavailable: outcome.unavailable,
          duration_s: seconds,
        },
        `job submission failed: ${outcome.error}`,
      );
      await this.retryLater(message, log, outcome.error);
    }
    return outcome;
  }

  private async submit(
    message: Message,
    request: JobRequest,
    log: Logger,
  ): Promise<Outcome> {
    const timeout = this.deps.jobTimeoutSeconds;
    let result: SubmissionResult;
    try {
      const { command, stdin } = remoteInvocation(
        request,
        message.MessageId ?? "",
        this.deps,
      );
      const ran = await this.deps.pool
        .session(request.route.target)
        .run(command, stdin, {
          // Counted from the exec request, past the remote timeout and its
          // KILL grace: the channel is closed only if the cluster side did
          // not stop the command itself.
          deadlineMs: (timeout + 15) * 1000,
        });
      result = interpretResult(ran);
    } catch (error) {
      result = interpretError(error);
    }

    if (result.kind === "submitted" && result.warning !== undefined) {
      log.warn(
        {
          event: "script_failed_after_submit",
          job_id: result.jobId,
          error: result.warning,
        },
        `the script failed after submitting job ${result.jobId}; the job stands`,
      );
    }
    return result.kind === "submitted"
      ? { kind: "submitted", jobId: result.jobId, duplicate: result.duplicate }
      : result;
  }

  /**
   * Keeps a message hidden while its job is being submitted, so that a slow
   * submission is not handed to another relay. stop() waits for a pending
   * extension, so none can land after the delete.
   */
  private startHeartbeat(
    message: Message,
    log: Logger,
  ): { stop: () => Promise<void> } {
    const seconds = this.deps.visibilityTimeoutSeconds;
    let pending: Promise<void> = Promise.resolve();

    const timer = setInterval(
      () => {
        // Chained, so stop() waits for every extension, not the last only.
        pending = pending
          .then(() =>
            this.deps.queue.setVisibility(message.ReceiptHandle ?? "", seconds),
          )
          .then(() => {
            log.debug(
              { event: "visibility_extended", visibility_s: seconds },
              "visibility extended",
            );
          })
          .catch((error: unknown) => {
            log.warn(
              { event: "visibility_extend_failed", err: error },
              "could not extend the message's visibility",
            );
          });
      },
      (seconds * 1000) / 3,
    );

    return {
      stop: async () => {
        clearInterval(timer);
        await pending;
      },
    };
  }

  private async settle(
    message: Message,
    log: Logger,
    jobId: string,
  ): Promise<void> {
    try {
      await this.deps.queue.delete(message.ReceiptHandle ?? "");
      log.info({ event: "message_deleted", job_id: jobId }, "message deleted");
    } catch (error) {
      log.warn(
        { event: "delete_failed", job_id: jobId, err: error },
        "the job is submitted but deleting its message failed; it will be delivered again",
      );
    }
  }

  private async retryLater(
    message: Message,
    log: Logger,
    error?: string,
  ): Promise<void> {
    const attempt = receiveCount(message);
    const limit = this.deps.queue.maxReceiveCount;
    if (limit !== undefined && attempt >= limit) {
      // SQS moves it on its next receive; this is the last word on why.
      log.error(
        { event: "message_dead_lettered", attempt, error },
        `attempt ${attempt} of ${limit} failed: the queue's redrive policy moves the message to the dead-letter queue`,
      );
    }

    const base = this.deps.retryDelaySeconds * 1000;
    const delay =
      backoffMs(attempt, base, 12 * 3600 * 1000, this.deps.random) / 1000;
    await this.setVisibility(message, log, delay, "retry");
  }

  private async setVisibility(
    message: Message,
    log: Logger,
    seconds: number,
    why: keyof typeof DELAY_LOG,
  ): Promise<void> {
    const keys = DELAY_LOG[why];
    const delay = Math.round(seconds);
    try {
      await this.deps.queue.setVisibility(message.ReceiptHandle ?? "", seconds);
      log.info(
        {
          event: keys.scheduled,
          attempt: receiveCount(message),
          delay_s: delay,
        },
        `${keys.text} in ${delay} s`,
      );
    } catch (error) {
      log.warn(
        { event: keys.failed, err: error },
        `could not set when to ${keys.text}; the message returns after its visibility timeout`,
      );
    }
  }
}

// A delay after a failure and a wait for another attempt's claim are
// counted apart by whoever reads the logs, so each has its own keys.
const DELAY_LOG = {
  retry: {
    scheduled: "retry_scheduled",
    failed: "retry_schedule_failed",
    text: "retry",
  },
  recheck: {
    scheduled: "recheck_scheduled",
    failed: "recheck_schedule_failed",
    text: "check again",
  },
} as const;

function receiveCount(message: Message): number {
  return Number(message.Attributes?.ApproximateReceiveCount ?? "1");
}

function sentAt(message: Message, fallback: Date): Date {
  const sent = Number(message.Attributes?.SentTimestamp);
  return Number.isFinite(sent) ? new Date(sent) : fallback;
}
