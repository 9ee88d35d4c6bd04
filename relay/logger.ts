/**
 * The relay's logger: JSON lines with a stable `event` key and snake_case
 * fields, one line per outcome. Secrets are redacted by path as a second
 * line of defence; the first is never passing them to the logger at all.
 */
import { createRequire } from "node:module";

import { pino, type Logger } from "pino";
import type { PrettyStream } from "pino-pretty";

export type { Logger } from "pino";

/** Field paths that must never be printed. */
export const REDACTED_PATHS = [
  "privateKey",
  "*.privateKey",
  "signingSecret",
  "*.signingSecret",
  "secretAccessKey",
  "*.secretAccessKey",
  "credentials",
  "*.credentials",
  "passphrase",
  "*.passphrase",
];

/**
 * Creates the relay's logger.
 * @param level - the lowest level printed
 * @param destination - where lines go; standard output by default
 */
export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    level,
    base: { service: "bii-relay" },
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  if (destination !== undefined) {
    return pino(options, destination as pino.DestinationStream);
  }
  // Someone at a terminal reads lines; a container's log collector gets
  // JSON. Synchronous, so nothing is lost when the relay exits.
  return process.stdout.isTTY ? pino(options, prettyStream()) : pino(options);
}

// Loaded only for a terminal: in a container it would be ~10 MB of memory
// held for nothing.
function prettyStream(): PrettyStream {
  const require = createRequire(import.meta.url);
  const pretty = require("pino-pretty") as typeof import("pino-pretty");
  return pretty({ sync: true, ignore: "pid,hostname,service" });
}
