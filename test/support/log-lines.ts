import { pino, type Logger } from "pino";

/** A logger that keeps each line it writes, parsed. */
export interface CapturedLog {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** The `event` key of each line, in order. */
  events: () => unknown[];
}

/**
 * Logs to memory, at every level. The destination is a plain object, not
 * a stream, so lines are kept at once even under fake timers.
 */
export function captureLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  const logger = pino({ level: "debug" }, destination);
  return { logger, lines, events: () => lines.map((l) => l.event) };
}
