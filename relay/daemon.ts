/**
 * The daemon's life: serve the HTTP endpoint, poll until SIGTERM or SIGINT,
 * then shut down in two stages. The first signal stops receiving and lets
 * in-flight submissions finish within the grace period (messages received
 * while stopping are released at once); a second signal exits immediately.
 */
import type { RelayConfig } from "./config.js";
import { serveRelay } from "./http-server.js";
import type { Logger } from "./logger.js";
import type { Relay } from "./relay.js";

/** Exit code when a second signal cuts the shutdown short. */
export const EXIT_FORCED = 130;

/**
 * Runs the poll loop until a signal, then drains.
 * @returns the exit code: 0 after a drain, even one cut by the grace period
 */
export async function runUntilSignalled(
  config: RelayConfig,
  relay: Relay,
  logger: Logger,
): Promise<number> {
  logger.info(
    {
      event: "relay_started",
      queue_url: config.queueUrl,
      routes: config.routes.length,
      concurrency: config.concurrency,
      signing: config.signingSecret !== undefined,
    },
    "relay started",
  );
  if (config.signingSecret === undefined) {
    logger.warn(
      { event: "signing_off" },
      "no signing secret: anyone who can send to the queue can start jobs on the allowed repositories' routes",
    );
  }

  let looping = true;
  const endpoint = await serveRelay(config, relay, logger, () => looping);
  const stopped = relay.consumer.run().finally(() => {
    looping = false;
  });

  const signal = await Promise.race([
    firstSignal(logger),
    stopped.then(() => undefined),
  ]);
  logger.info(
    {
      event: "relay_stopping",
      signal,
      in_flight: relay.consumer.inFlightCount,
    },
    "relay stopping",
  );
  relay.consumer.stop();

  const result = await drain(stopped, config.shutdownGraceSeconds * 1000);
  await endpoint?.close();
  logger.info({ event: "relay_stopped", result }, "relay stopped");
  return 0;
}

function firstSignal(logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false;
    // One handler for both signals: the first starts the drain, any second
    // one, SIGTERM or SIGINT, ends the process at once.
    const onSignal = (name: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn(
          { event: "relay_killed", signal: name },
          "second signal: exiting now",
        );
        process.exit(EXIT_FORCED);
      }
      stopping = true;
      resolve(name);
    };

    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

async function drain(
  stopped: Promise<void>,
  graceMs: number,
): Promise<"drained" | "grace_expired"> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<"grace_expired">((resolve) => {
    timer = setTimeout(() => {
      resolve("grace_expired");
    }, graceMs);
  });

  const result = await Promise.race([
    stopped.then(() => "drained" as const),
    grace,
  ]);
  clearTimeout(timer);
  return result;
}
