/**
 * bii-relay's command line: `run` (the daemon), `once` (one receive cycle,
 * for cron or a shell loop), `check` (prove the configuration works) and
 * `redrive` (move dead-lettered messages back).
 * Exit codes: 0 done, 1 a check or cycle failed, 2 bad flags or settings.
 */
import { parseArgs } from "node:util";

import { runChecks } from "./check.js";
import { ConfigError } from "./config-error.js";
import { loadConfig, type RelayConfig } from "./config.js";
import { runUntilSignalled } from "./daemon.js";
import { createLogger, type Logger } from "./logger.js";
import { createRelay, type Relay } from "./relay.js";
import { targetName } from "./routes.js";

const USAGE = `usage: bii-relay <command>

commands:
  run     long-poll the queue and submit jobs until SIGTERM or SIGINT
  once    receive once (up to RELAY_CONCURRENCY messages), process them, exit
  check   validate the configuration, reach the queue and every SSH target,
          and print each host key's fingerprint
  redrive move messages from the queue's dead-letter queue back to it,
          after the cause of their failure is fixed

Settings come from the environment; see the README's configuration table.`;

/** Exit code for bad flags or settings. */
export const EXIT_USAGE = 2;

/** Parses the command line and runs the command; returns the exit code. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const command = parseCommand(argv);
  if (typeof command === "number") {
    return command;
  }

  let config: RelayConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(
        `bii-relay: configuration error: ${error.message}\n`,
      );
      return EXIT_USAGE;
    }
    throw error;
  }

  const logger = createLogger(config.logLevel);
  logger.debug(
    { event: "config_resolved", ...resolvedSettings(config) },
    "settings",
  );
  const relay = createRelay(config, logger);
  try {
    return await COMMANDS[command](config, relay, logger);
  } finally {
    await relay.close();
  }
}

// What the settings came to, for the debug log: never the key or a secret.
function resolvedSettings(config: RelayConfig): Record<string, unknown> {
  return {
    queue_url: config.queueUrl,
    region: config.region,
    endpoint: config.endpoint ?? null,
    routes: config.routes.map((r) => ({
      name: r.name,
      repositories: r.repositories,
      target: targetName(r.target),
      action: r.action.kind,
    })),
    private_key_path: config.privateKeyPath,
    host_key:
      config.hostKey.kind === "fingerprint"
        ? config.hostKey.fingerprint
        : config.hostKey.source,
    signing: config.signingSecret !== undefined,
    concurrency: config.concurrency,
    wait_s: config.waitTimeSeconds,
    visibility_timeout_s: config.visibilityTimeoutSeconds,
    job_timeout_s: config.jobTimeoutSeconds,
    ledger_dir: config.ledgerDir,
  };
}

type Command = "run" | "once" | "check" | "redrive";

const COMMANDS: Record<
  Command,
  (c: RelayConfig, r: Relay, l: Logger) => Promise<number>
> = {
  run: runDaemon,
  once: runOnce,
  check: runCheck,
  redrive: runRedrive,
};

function parseCommand(argv: string[]): Command | number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    process.stderr.write(`bii-relay: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }

  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...rest] = parsed.positionals;
  if (command === undefined || !(command in COMMANDS) || rest.length > 0) {
    const given =
      command === undefined
        ? "no command"
        : `'${parsed.positionals.join(" ")}'`;
    process.stderr.write(
      `bii-relay: ${given} is not a command (expected run, once, check or redrive)\n${USAGE}\n`,
    );
    return EXIT_USAGE;
  }
  return command as Command;
}

async function runOnce(
  config: RelayConfig,
  relay: Relay,
  logger: Logger,
): Promise<number> {
  await discoverDeadLetterQueue(relay, logger);
  let count: number;
  try {
    count = await relay.consumer.runOnce();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `bii-relay: could not receive from ${config.queueUrl}: ${reason}\n`,
    );
    return 1;
  }
  logger.info(
    { event: "cycle_done", messages: count },
    `processed ${count} message(s)`,
  );
  return 0;
}

async function runCheck(config: RelayConfig, relay: Relay): Promise<number> {
  const lines = await runChecks(config, relay);
  for (const line of lines) {
    process.stdout.write(
      `${line.ok ? "ok  " : "FAIL"} ${line.what}: ${line.detail}\n`,
    );
  }
  return lines.every((l) => l.ok) ? 0 : 1;
}

async function runDaemon(
  config: RelayConfig,
  relay: Relay,
  logger: Logger,
): Promise<number> {
  await discoverDeadLetterQueue(relay, logger);
  return runUntilSignalled(config, relay, logger);
}

async function runRedrive(
  config: RelayConfig,
  relay: Relay,
  logger: Logger,
): Promise<number> {
  const url = await relay.queue.discoverDeadLetterQueue();
  if (url === undefined) {
    process.stderr.write(
      `bii-relay: queue ${config.queueUrl} has no dead-letter queue (expected a RedrivePolicy naming one)\n`,
    );
    return 1;
  }

  const moved = await relay.queue.redrive(REDRIVE_MAX);
  logger.info(
    { event: "redriven", messages: moved, dead_letter_queue_url: url },
    `moved ${moved} message(s) back from the dead-letter queue`,
  );
  return 0;
}

// One run moves at most this many, so that a queue being refilled by a
// broken relay cannot keep the command going forever.
const REDRIVE_MAX = 10_000;

async function discoverDeadLetterQueue(
  relay: Relay,
  logger: Logger,
): Promise<void> {
  try {
    const url = await relay.queue.discoverDeadLetterQueue();
    logger.debug(
      { event: "dead_letter_queue", dead_letter_queue_url: url ?? null },
      "dead-letter queue",
    );
  } catch (error) {
    logger.warn(
      { event: "redrive_policy_unreadable", err: error },
      "could not read the queue's redrive policy; it is read again before a refused message is set aside",
    );
  }
}

const code = await main(process.argv.slice(2), process.env).catch(
  (error: unknown) => {
    process.stderr.write(
      `bii-relay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  },
);
process.exitCode = code;
