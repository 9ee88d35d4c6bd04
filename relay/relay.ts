/**
 * Puts the relay together from its configuration: the queue, the SSH
 * sessions, the processor and the poll loop.
 */
import { Availability, type Probe } from "./availability.js";
import type { RelayConfig } from "./config.js";
import { Consumer } from "./consumer.js";
import type { Logger } from "./logger.js";
import { RelayMetrics } from "./metrics.js";
import { Processor } from "./processor.js";
import { createSqsClient, RelayQueue } from "./queue.js";
import { SshPool } from "./ssh-pool.js";

/** The running parts of a relay. */
export interface Relay {
  queue: RelayQueue;
  pool: SshPool;
  processor: Processor;
  consumer: Consumer;
  /** What /metrics serves; counted whether or not it is served. */
  metrics: RelayMetrics;
  /** Which cluster targets are known to be down. */
  availability: Availability;
  /** Closes SSH sessions and the SQS client. */
  close: () => Promise<void>;
}

/** Builds a relay; nothing connects until it is used. */
export function createRelay(config: RelayConfig, logger: Logger): Relay {
  const client = createSqsClient(config);
  const queue = new RelayQueue(client, config.queueUrl);
  const pool = new SshPool(
    { privateKey: config.privateKey, hostKey: config.hostKey },
    logger,
  );

  const metrics = new RelayMetrics();
  const availability = new Availability(logger);
  const processor = new Processor({
    queue,
    pool,
    policy: config,
    logger,
    metrics,
    availability,
    jobTimeoutSeconds: config.jobTimeoutSeconds,
    retryDelaySeconds: config.retryDelaySeconds,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    ledgerDir: config.ledgerDir,
  });
  const consumer = new Consumer({
    queue,
    process: (message) => processor.process(message),
    logger,
    concurrency: config.concurrency,
    waitTimeSeconds: config.waitTimeSeconds,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    availability,
    probe: clusterProbe(pool),
  });
  metrics.watchPoll(consumer);

  const close = async (): Promise<void> => {
    await pool.close();
    client.destroy();
  };
  return { queue, pool, processor, consumer, metrics, availability, close };
}

// `scontrol ping` answers 0 only when the controller is up, so one probe
// covers the SSH connection, the login node and SLURM together.
const PROBE_COMMAND = "scontrol ping";
const PROBE_DEADLINE_MS = 15_000;

function clusterProbe(pool: SshPool): Probe {
  return async (target) => {
    try {
      const result = await pool
        .session(target)
        .run(PROBE_COMMAND, Buffer.alloc(0), { deadlineMs: PROBE_DEADLINE_MS });
      return result.exitCode === 0;
    } catch {
      return false;
    }
  };
}
