/**
 * The processor against a recording queue and a cluster session whose
 * commands end when the test answers them. Visibility extensions run on
 * jest's fake timers, so a long submission takes no time here.
 */
import type { Message } from "@aws-sdk/client-sqs";
import { jest } from "@jest/globals";

import type { InboundPolicy } from "../../relay/inbound.js";
import { Processor, type Outcome } from "../../relay/processor.js";
import type { Route, SshTarget } from "../../relay/routes.js";
import type { SshPool } from "../../relay/ssh-pool.js";
import type { RunResult, SshSession } from "../../relay/ssh-session.js";
import { FakeQueue } from "../support/fake-queue.js";
import { captureLog, type CapturedLog } from "../support/log-lines.js";
import { jobMessage, sqsMessage } from "../support/messages.js";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const SECRET = "a-secret-of-some-length";
const VISIBILITY_S = 30;
const JOB_TIMEOUT_S = 600;

const route: Route = {
  name: "pipeline",
  repositories: ["uva-bii/pipeline"],
  events: undefined,
  ref: undefined,
  target: { host: "login.example.org", port: 22, user: "bii" },
  action: { kind: "script", script: "run.sh" },
};

/** A cluster session whose commands end when the test answers them. */
class FakeSession implements Pick<SshSession, "run"> {
  readonly commands: PromiseWithResolvers<RunResult>[] = [];

  async run(): Promise<RunResult> {
    const command = Promise.withResolvers<RunResult>();
    this.commands.push(command);
    return command.promise;
  }

  /** Ends the oldest command still running. */
  answer(result: RunResult): void {
    this.commands.shift()?.resolve(result);
  }
}

/** Hands out one session and records which targets were asked for. */
class FakePool {
  readonly targets: SshTarget[] = [];
  private readonly only: FakeSession;

  constructor(session: FakeSession) {
    this.only = session;
  }

  session(target: SshTarget): FakeSession {
    this.targets.push(target);
    return this.only;
  }
}

/** What the remote command prints when the ledger has run it. */
function ledgerRan(jobId: string): RunResult {
  return ran(`Submitted batch job ${jobId}\nbii-relay-ledger: ran ${jobId}`);
}

function ran(stdout: string, exitCode = 0, stderr = ""): RunResult {
  return {
    exitCode,
    signal: null,
    stdout: `${stdout}\n`,
    stderr,
    timedOut: false,
    truncated: false,
  };
}

interface Harness {
  processor: Processor;
  queue: FakeQueue;
  pool: FakePool;
  session: FakeSession;
  log: CapturedLog;
}

function harness(policy: Partial<InboundPolicy> = {}): Harness {
  const queue = new FakeQueue();
  const session = new FakeSession();
  const pool = new FakePool(session);
  const log = captureLog();
  const processor = new Processor({
    queue: queue.asRelayQueue(),
    // The real pool opens SSH connections; the processor only asks it for
    // a session and runs a command there.
    pool: pool as unknown as SshPool,
    policy: {
      routes: [route],
      legacyRepository: undefined,
      signingSecret: undefined,
      maxMessageAgeSeconds: 3600,
      ...policy,
    },
    logger: log.logger,
    jobTimeoutSeconds: JOB_TIMEOUT_S,
    retryDelaySeconds: 60,
    visibilityTimeoutSeconds: VISIBILITY_S,
    ledgerDir: ".bii-relay/submitted",
    now: () => NOW,
    random: () => 0.5,
  });
  return { processor, queue, pool, session, log };
}

function received(receiveCount = 1): Message {
  const job = jobMessage({ timestamp: NOW.toISOString() });
  return sqsMessage(job, { receiveCount });
}

/** Moves fake time on, letting promises settle between the timers. */
async function elapse(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

beforeEach(() => {
  jest.useFakeTimers({ now: NOW });
});

afterEach(() => {
  jest.useRealTimers();
});

describe("Processor, while a submission runs", () => {
  it("extends the message's visibility each third of the visibility timeout", async () => {
    const { processor, queue, session } = harness();

    const outcome = processor.process(received());
    await elapse(25_000);
    const whileRunning = [...queue.calls];
    session.answer(ledgerRan("4242"));
    await outcome;

    expect(whileRunning).toEqual([
      { op: "setVisibility", handle: "receipt-m-1", seconds: VISIBILITY_S },
      { op: "setVisibility", handle: "receipt-m-1", seconds: VISIBILITY_S },
    ]);
  });

  it("deletes the message once the job id is known, and changes its visibility no more afterwards", async () => {
    const { processor, queue, session } = harness();

    const outcome = processor.process(received());
    await elapse(15_000);
    const beforeAnswer = queue.callsOf("delete");
    session.answer(ledgerRan("4242"));
    const result = await outcome;
    await elapse(10 * VISIBILITY_S * 1000);

    expect(result).toEqual<Outcome>({
      kind: "submitted",
      jobId: "4242",
      duplicate: false,
    });
    expect(beforeAnswer).toEqual([]);
    expect(queue.calls).toEqual([
      { op: "setVisibility", handle: "receipt-m-1", seconds: VISIBILITY_S },
      { op: "delete", handle: "receipt-m-1" },
    ]);
  });

  it("waits for an extension still under way before it deletes the message", async () => {
    const { processor, queue, session } = harness();
    const held = Promise.withResolvers<undefined>();
    queue.visibilityHeld = held.promise;

    const outcome = processor.process(received());
    await elapse(10_000);
    session.answer(ledgerRan("4242"));
    await elapse(0);
    const whileExtending = queue.callsOf("delete");
    held.resolve(undefined);
    await outcome;

    expect(whileExtending).toEqual([]);
    expect(queue.calls.map((c) => c.op)).toEqual(["setVisibility", "delete"]);
  });
});

describe("Processor, when a submission fails", () => {
  it("keeps a message whose command failed and pushes its next delivery back", async () => {
    const { processor, queue, session, log } = harness();
    const stderr = "sbatch: error: invalid partition specified";

    const outcome = processor.process(received(2));
    await elapse(0);
    session.answer(ran("bii-relay-ledger: ran none", 1, stderr));
    const result = await outcome;

    expect(result).toMatchObject({ kind: "failed" });
    // The second attempt: between a half and all of twice the retry delay.
    expect(queue.calls).toEqual([
      { op: "setVisibility", handle: "receipt-m-1", seconds: 90 },
    ]);
    expect(log.events()).toContain("retry_scheduled");
  });

  it("keeps a message whose command could not be started and retries it later", async () => {
    const { processor, queue, session } = harness();

    const outcome = processor.process(received());
    await elapse(0);
    session.commands[0]?.reject(new Error("connect ECONNREFUSED"));
    const result = await outcome;

    expect(result).toEqual<Outcome>({
      kind: "failed",
      error: "connect ECONNREFUSED",
      unavailable: false,
    });
    expect(queue.callsOf("delete")).toEqual([]);
    expect(queue.callsOf("setVisibility")).toEqual([
      { op: "setVisibility", handle: "receipt-m-1", seconds: 45 },
    ]);
  });
});

describe("Processor, for a refused message", () => {
  it("sets an unsigned message aside without reaching the cluster when a signing secret is set", async () => {
    const { processor, queue, pool } = harness({ signingSecret: SECRET });

    const result = await processor.process(received());

    expect(result).toEqual<Outcome>({ kind: "refused", reason: "unsigned" });
    expect(pool.targets).toEqual([]);
    expect(queue.calls).toEqual([
      { op: "setAside", handle: "receipt-m-1", reason: "unsigned" },
    ]);
  });

  it("sets aside a message for a repository no route allows without reaching the cluster", async () => {
    const { processor, queue, pool } = harness();
    const job = jobMessage({ repository: "someone/else" });

    const result = await processor.process(sqsMessage(job));

    expect(result).toEqual<Outcome>({ kind: "refused", reason: "not_allowed" });
    expect(pool.targets).toEqual([]);
    expect(queue.calls).toEqual([
      { op: "setAside", handle: "receipt-m-1", reason: "not_allowed" },
    ]);
  });
});

describe("Processor, when another attempt holds the event", () => {
  it("looks at the message again once that attempt would be finished, logged as a recheck and not a retry", async () => {
    const { processor, queue, session, log } = harness();

    const outcome = processor.process(received());
    await elapse(0);
    session.answer(ran("bii-relay-ledger: claimed"));
    const result = await outcome;

    expect(result).toEqual<Outcome>({ kind: "in-progress" });
    expect(queue.calls).toEqual([
      {
        op: "setVisibility",
        handle: "receipt-m-1",
        seconds: JOB_TIMEOUT_S + 120,
      },
    ]);
    expect(log.events()).toContain("recheck_scheduled");
    expect(log.events()).not.toContain("retry_scheduled");
  });
});
