/**
 * `bii-relay check`: proves a configuration works before it is deployed.
 * It reaches the queue, opens every route's SSH connection with the host key
 * verified, and prints each host key's fingerprint for pinning.
 */
import type { RelayConfig } from "./config.js";
import type { Relay } from "./relay.js";
import { targetName } from "./routes.js";

/** One line of the report. */
export interface CheckLine {
  ok: boolean;
  what: string;
  detail: string;
}

/** Runs every check; never throws. */
export async function runChecks(
  config: RelayConfig,
  relay: Relay,
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [
    {
      ok: true,
      what: "configuration",
      detail: `${config.routes.length} route(s), signing ${config.signingSecret === undefined ? "off" : "on"}`,
    },
  ];

  lines.push(await checkQueue(relay));

  const targets = new Map(
    config.routes.map((r) => [targetName(r.target), r.target]),
  );
  for (const [name, target] of targets) {
    const session = relay.pool.session(target);
    try {
      await session.connect();
      lines.push({
        ok: true,
        what: `ssh ${name}`,
        detail: `host key verified: ${session.hostFingerprint ?? "?"}`,
      });
    } catch (error) {
      lines.push({ ok: false, what: `ssh ${name}`, detail: errorText(error) });
    }
  }
  return lines;
}

async function checkQueue(relay: Relay): Promise<CheckLine> {
  try {
    const dlq = await relay.queue.discoverDeadLetterQueue();
    const detail =
      dlq === undefined
        ? "reachable; no dead-letter queue (refused messages are deleted after logging)"
        : `reachable; dead-letter queue ${dlq}`;
    return { ok: true, what: `queue ${relay.queue.url}`, detail };
  } catch (error) {
    return {
      ok: false,
      what: `queue ${relay.queue.url}`,
      detail: errorText(error),
    };
  }
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.name === "Error" ? "" : `${error.name}: `}${error.message}${cause}`;
}
