/**
 * The relay's HTTP endpoint for the platform that runs it: `/healthz`
 * (liveness), `/readyz` (readiness) and `/metrics` (Prometheus text).
 *
 * Liveness: the poll loop is running and not stuck. A loop that backs off
 * because SQS fails is alive (restarting would not help); one whose receive
 * call has not returned for the long-poll wait plus a minute, with room for
 * more work, is stuck.
 *
 * Readiness: alive, the last receive call succeeded, and every route's SSH
 * connection is up. An idle relay may not have needed SSH yet, so the probe
 * opens a connection that is not up. The relay keeps one session per
 * account and reuses it, so this costs nothing later and the first job does
 * not wait for a handshake; while sshd is away each probe tries again.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { RelayConfig } from "./config.js";
import type { Logger } from "./logger.js";
import type { RelayMetrics } from "./metrics.js";
import type { Relay } from "./relay.js";
import { targetName, type Route } from "./routes.js";
import type { SshPool } from "./ssh-pool.js";

/** The poll loop's state, as the Consumer exposes it. */
export interface LoopState {
  lastPollAt: number;
  pollFailing: boolean;
  inFlightCount: number;
  /** Receiving is paused until the cluster answers: alive, not ready. */
  waitingForCluster: boolean;
  /** A stop was asked for: the work in hand finishes, no more is taken. */
  draining: boolean;
}

/** An SSH session the readiness probe checks and, when down, opens. */
export interface ProbedSession {
  /** `user@host:port`, for the probe's answer. */
  name: string;
  isReady: () => boolean;
  connect: () => Promise<unknown>;
}

/** What the probes look at. */
export interface ProbeSources {
  loop: LoopState;
  /** False once the poll loop has ended (stopped or crashed). */
  loopRunning: () => boolean;
  /** One session per SSH target of the routes. */
  sessions: () => ProbedSession[];
  concurrency: number;
  waitTimeSeconds: number;
  now?: () => number;
}

/** A probe's answer: healthy, or what is wrong. */
export interface ProbeResult {
  ok: boolean;
  problems: string[];
}

// Slack over the long-poll wait before a silent receive call counts as
// stuck: SQS answers within the wait, but a slow network may add seconds.
const STALL_SLACK_MS = 60_000;

// Kubernetes gives a probe a few seconds; a handshake that takes longer
// goes on in the background and the next probe sees its result.
const CONNECT_WAIT_MS = 3000;

/** The liveness and readiness rules. */
export class Probes {
  private readonly sources: ProbeSources;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly connecting = new Map<string, Promise<unknown>>();

  constructor(sources: ProbeSources) {
    this.sources = sources;
    this.now = sources.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Whether the process and its poll loop are alive. */
  live(): ProbeResult {
    const { loop, concurrency, waitTimeSeconds } = this.sources;
    if (!this.sources.loopRunning()) {
      return fail("the poll loop has ended");
    }

    const since = Math.max(loop.lastPollAt, this.startedAt);
    const silentMs = this.now() - since;
    const waiting =
      !loop.pollFailing &&
      !loop.waitingForCluster &&
      loop.inFlightCount < concurrency;
    if (waiting && silentMs > waitTimeSeconds * 1000 + STALL_SLACK_MS) {
      return fail(
        `no receive call has returned for ${Math.round(silentMs / 1000)} s (expected within RELAY_WAIT_SECONDS=${waitTimeSeconds} plus 60 s)`,
      );
    }
    return { ok: true, problems: [] };
  }

  /** Whether the queue answers and every SSH connection is up. */
  async ready(): Promise<ProbeResult> {
    const live = this.live();
    if (!live.ok) {
      return live;
    }

    const problems: string[] = [];
    if (this.sources.loop.lastPollAt === 0) {
      problems.push("no receive call has succeeded yet");
    } else if (this.sources.loop.pollFailing) {
      problems.push("the queue is unreachable: the last receive call failed");
    }
    if (this.sources.loop.waitingForCluster) {
      problems.push(
        "the cluster cannot take work: receiving waits until it answers",
      );
    }
    if (this.sources.loop.draining) {
      problems.push("shutting down: finishing the work in hand, taking none");
    }

    const sessions = this.sources.sessions();
    const ssh = await Promise.all(sessions.map((s) => this.sshProblem(s)));
    problems.push(...ssh.filter((p) => p !== undefined));
    return { ok: problems.length === 0, problems };
  }

  private async sshProblem(
    session: ProbedSession,
  ): Promise<string | undefined> {
    if (session.isReady()) {
      return undefined;
    }

    let attempt = this.connecting.get(session.name);
    if (attempt === undefined) {
      attempt = session.connect().finally(() => {
        this.connecting.delete(session.name);
      });
      this.connecting.set(session.name, attempt);
    }

    const timeout = new Promise<"waiting">((resolve) => {
      setTimeout(() => {
        resolve("waiting");
      }, CONNECT_WAIT_MS).unref();
    });
    try {
      const result = await Promise.race([attempt, timeout]);
      if (result === "waiting") {
        return `ssh ${session.name}: still connecting`;
      }
      return session.isReady()
        ? undefined
        : `ssh ${session.name}: not connected`;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return `ssh ${session.name}: ${reason}`;
    }
  }
}

function fail(problem: string): ProbeResult {
  return { ok: false, problems: [problem] };
}

/** Where to listen and what to serve. */
export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port; the log and the result name it. */
  port: number;
  probes: Probes;
  metrics: RelayMetrics;
  logger: Logger;
}

/** A listening endpoint. */
export interface HttpEndpoint {
  /** `http://HOST:PORT`, with the port actually bound. */
  url: string;
  close: () => Promise<void>;
}

/**
 * Serves the probes and the metrics until closed.
 * @throws when the address cannot be bound, with the address in the message
 */
export async function startHttpServer(
  options: HttpServerOptions,
): Promise<HttpEndpoint> {
  const server = createServer((request, response) => {
    answer(request, options)
      .then(({ status, type, body }) => {
        response.writeHead(status, { "content-type": type });
        response.end(request.method === "HEAD" ? undefined : body);
      })
      .catch((error: unknown) => {
        options.logger.error(
          { event: "http_request_failed", path: request.url, err: error },
          "answering an HTTP request failed",
        );
        response.writeHead(500).end();
      });
  });

  await listen(server, options.host, options.port);
  const { port } = server.address() as AddressInfo;
  const url = `http://${hostForUrl(options.host)}:${port}`;
  options.logger.info(
    { event: "http_listening", host: options.host, port, url },
    `serving /healthz, /readyz and /metrics on ${url}`,
  );

  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
  return { url, close };
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

async function answer(
  request: IncomingMessage,
  options: HttpServerOptions,
): Promise<Reply> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return text(405, `${request.method ?? "?"} is not allowed (use GET)\n`);
  }

  const path = new URL(request.url ?? "/", "http://relay").pathname;
  switch (path) {
    case "/healthz":
      return probeReply(options.probes.live());
    case "/readyz":
      return probeReply(await options.probes.ready());
    case "/metrics":
      return {
        status: 200,
        type: options.metrics.registry.contentType,
        body: await options.metrics.text(),
      };
    default:
      return text(404, `no ${path} here (try /healthz, /readyz, /metrics)\n`);
  }
}

function probeReply(result: ProbeResult): Reply {
  return {
    status: result.ok ? 200 : 503,
    type: "application/json",
    body: `${JSON.stringify({ status: result.ok ? "ok" : "fail", problems: result.problems })}\n`,
  };
}

function text(status: number, body: string): Reply {
  return { status, type: "text/plain; charset=utf-8", body };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error) => {
      reject(
        new Error(`cannot serve HTTP on ${host}:${port}: ${error.message}`, {
          cause: error,
        }),
      );
    });
    server.listen(port, host, resolve);
  });
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts the endpoint for a relay when RELAY_HTTP_PORT is set.
 * @param loopRunning - false once the relay's poll loop has ended
 * @returns the endpoint, or undefined when no port is configured
 */
export async function serveRelay(
  config: RelayConfig,
  relay: Relay,
  logger: Logger,
  loopRunning: () => boolean,
): Promise<HttpEndpoint | undefined> {
  if (config.httpPort === undefined) {
    return undefined;
  }

  const probes = new Probes({
    loop: relay.consumer,
    loopRunning,
    sessions: () => routeSessions(config.routes, relay.pool),
    concurrency: config.concurrency,
    waitTimeSeconds: config.waitTimeSeconds,
  });
  return startHttpServer({
    host: config.httpHost,
    port: config.httpPort,
    probes,
    metrics: relay.metrics,
    logger,
  });
}

/** One probed session per distinct SSH target of the routes. */
export function routeSessions(
  routes: readonly Route[],
  pool: SshPool,
): ProbedSession[] {
  const targets = new Map(routes.map((r) => [targetName(r.target), r.target]));
  return [...targets].map(([name, target]) => {
    const session = pool.session(target);
    return {
      name,
      isReady: () => session.isReady(),
      connect: () => session.connect(),
    };
  });
}
