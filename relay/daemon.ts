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
    },
    "relay started",
  );

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
    const onSignal = (name: NodeJS.Signals): void => {
      process.once(name, () => {
        logger.warn(
          { event: "relay_killed", signal: name },
          "second signal: exiting now",
        );
        process.exit(EXIT_FORCED);
      });
      resolve(name);
    };

    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
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
