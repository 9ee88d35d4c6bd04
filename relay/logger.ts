/**
 * The relay's logger: JSON lines with a stable `event` key and snake_case
 * fields, one line per outcome. Secrets are redacted by path as a second
 * line of defence; the first is never passing them to the logger at all.
 */
import { pino, type Logger } from "pino";

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
  return destination === undefined
    ? pino(options)
    : pino(options, destination as pino.DestinationStream);
}
