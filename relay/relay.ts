/**
 * Puts the relay together from its configuration: the queue, the SSH
 * sessions, the processor and the poll loop.
 */
import type { RelayConfig } from "./config.js";
import { Consumer } from "./consumer.js";
import type { Logger } from "./logger.js";
import { Processor } from "./processor.js";
import { createSqsClient, RelayQueue } from "./queue.js";
import { SshPool } from "./ssh-pool.js";

/** The running parts of a relay. */
export interface Relay {
  queue: RelayQueue;
  pool: SshPool;
  processor: Processor;
  consumer: Consumer;
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

  const processor = new Processor({
    queue,
    pool,
    policy: config,
    logger,
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

  const close = async (): Promise<void> => {
    await pool.close();
    client.destroy();
  };
  return { queue, pool, processor, consumer, close };
}
