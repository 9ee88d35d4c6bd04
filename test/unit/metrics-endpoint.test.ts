import {
  Probes,
  startHttpServer,
  type HttpEndpoint,
  type LoopState,
  type ProbedSession,
  type ProbeSources,
} from "../../relay/http-server.js";
import { createLogger } from "../../relay/logger.js";
import { RelayMetrics } from "../../relay/metrics.js";

const T0 = 1_700_000_000_000;

/** Probes over a loop that polled a second ago, with a clock to move. */
function probesFor(overrides: Partial<ProbeSources> = {}): {
  probes: Probes;
  loop: LoopState;
  clock: { now: number };
} {
  const clock = { now: T0 };
  const loop = {
    lastPollAt: T0 - 1000,
    pollFailing: false,
    inFlightCount: 0,
    waitingForCluster: false,
    draining: false,
  };
  const probes = new Probes({
    loop,
    loopRunning: () => true,
    sessions: () => [],
    concurrency: 4,
    waitTimeSeconds: 20,
    now: () => clock.now,
    ...overrides,
  });
  return { probes, loop, clock };
}

/** A session that connects (or fails to) when asked. */
function fakeSession(connects: boolean): ProbedSession & { calls: number } {
  let up = false;
  const session = {
    name: "biirelay@127.0.0.1:2222",
    calls: 0,
    isReady: () => up,
    connect: () => {
      session.calls += 1;
      if (!connects) {
        return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:2222"));
      }
      up = true;
      return Promise.resolve();
    },
  };
  return session;
}

describe("the liveness probe", () => {
  it("is ok while the poll loop runs and fails once it has ended", () => {
    let running = true;
    const { probes } = probesFor({ loopRunning: () => running });

    expect(probes.live()).toEqual({ ok: true, problems: [] });
    running = false;
    expect(probes.live()).toEqual({
      ok: false,
      problems: ["the poll loop has ended"],
    });
  });

  it("stays ok while receiving waits for the cluster, however long", () => {
    const { probes, loop, clock } = probesFor();

    loop.waitingForCluster = true;
    clock.now = T0 + 3600_000;

    expect(probes.live()).toEqual({ ok: true, problems: [] });
  });

  it("fails when no receive call has returned for the wait plus a minute", () => {
    const { probes, clock } = probesFor();

    clock.now = T0 + 78_000;
    expect(probes.live().ok).toBe(true);
    clock.now = T0 + 82_000;
    expect(probes.live().problems[0]).toMatch(
      /no receive call has returned for \d+ s/,
    );
  });

  it("stays ok while the loop backs off from a failing queue or every slot is busy", () => {
    const { probes, loop, clock } = probesFor();
    clock.now = T0 + 600_000;

    loop.pollFailing = true;
    expect(probes.live().ok).toBe(true);
    loop.pollFailing = false;
    loop.inFlightCount = 4;
    expect(probes.live().ok).toBe(true);
  });
});

describe("the readiness probe", () => {
  it("is not ready before the first receive call succeeds", async () => {
    const { probes, loop } = probesFor();
    loop.lastPollAt = 0;

    await expect(probes.ready()).resolves.toEqual({
      ok: false,
      problems: ["no receive call has succeeded yet"],
    });
  });

  it("is not ready while receive calls fail", async () => {
    const { probes, loop } = probesFor();
    loop.pollFailing = true;

    const result = await probes.ready();
    expect(result.problems).toEqual([
      "the queue is unreachable: the last receive call failed",
    ]);
  });

  it("is not ready while receiving waits for the cluster", async () => {
    const { probes, loop } = probesFor();
    loop.waitingForCluster = true;

    await expect(probes.ready()).resolves.toEqual({
      ok: false,
      problems: [
        "the cluster cannot take work: receiving waits until it answers",
      ],
    });
  });

  it("is not ready once a shutdown has begun, while still alive", async () => {
    const { probes, loop } = probesFor();
    loop.draining = true;

    expect(probes.live()).toEqual({ ok: true, problems: [] });
    await expect(probes.ready()).resolves.toEqual({
      ok: false,
      problems: ["shutting down: finishing the work in hand, taking none"],
    });
  });

  it("opens an SSH session that is not up, and is ready once it connects", async () => {
    const session = fakeSession(true);
    const { probes } = probesFor({ sessions: () => [session] });

    await expect(probes.ready()).resolves.toEqual({ ok: true, problems: [] });
    await probes.ready();
    expect(session.calls).toBe(1);
  });

  it("names the SSH target that cannot connect, and why", async () => {
    const session = fakeSession(false);
    const { probes } = probesFor({ sessions: () => [session] });

    await expect(probes.ready()).resolves.toEqual({
      ok: false,
      problems: [
        "ssh biirelay@127.0.0.1:2222: connect ECONNREFUSED 127.0.0.1:2222",
      ],
    });
  });
});

describe("the HTTP endpoint", () => {
  let endpoint: HttpEndpoint;
  const loop = {
    lastPollAt: 0,
    pollFailing: false,
    inFlightCount: 0,
    waitingForCluster: false,
    draining: false,
  };

  beforeAll(async () => {
    const metrics = new RelayMetrics({ processMetrics: false });
    metrics.messageStarted();
    metrics.messageFinished({ kind: "refused", reason: "expired" }, 0.1);
    endpoint = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      probes: new Probes({
        loop,
        loopRunning: () => true,
        sessions: () => [],
        concurrency: 1,
        waitTimeSeconds: 1,
      }),
      metrics,
      logger: createLogger("silent"),
    });
  });

  afterAll(async () => {
    await endpoint.close();
  });

  it("answers /readyz with 503 and the problems, then 200 once the queue answers", async () => {
    const unready = await fetch(`${endpoint.url}/readyz`);
    expect(unready.status).toBe(503);
    expect(await unready.json()).toEqual({
      status: "fail",
      problems: ["no receive call has succeeded yet"],
    });

    loop.lastPollAt = Date.now();
    const ready = await fetch(`${endpoint.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok", problems: [] });
  });

  it("answers /healthz with 200 while the loop runs", async () => {
    const response = await fetch(`${endpoint.url}/healthz`);

    expect(response.status).toBe(200);
  });

  it("serves /metrics as Prometheus text", async () => {
    const response = await fetch(`${endpoint.url}/metrics`);

    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toContain(
      'bii_relay_messages_refused_total{reason="expired"} 1',
    );
  });

  it("answers other paths with 404 and other methods with 405", async () => {
    const missing = await fetch(`${endpoint.url}/status`);
    const posted = await fetch(`${endpoint.url}/metrics`, { method: "POST" });

    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("/healthz");
    expect(posted.status).toBe(405);
  });
});
