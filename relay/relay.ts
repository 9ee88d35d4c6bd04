/**
 * Puts the relay together from its configuration: the queue, the SSH
 * sessions, the processor and the poll loop.
 */
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
  const processor = new Processor({
    queue,
    pool,
    policy: config,
    logger,
    metrics,
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
  });
  metrics.watchPoll(consumer);

  const close = async (): Promise<void> => {
    await pool.close();
    client.destroy();
  };
  return { queue, pool, processor, consumer, metrics, close };
}
