import { encodeMessage } from "../../protocol/encode.js";
import { eventKey } from "../../protocol/event-key.js";
import type { JobMessage } from "../../protocol/message.js";
import { signBody } from "../../protocol/signature.js";
import {
  checkMessage,
  type InboundPolicy,
  type Received,
  type Refusal,
} from "../../relay/inbound.js";
import type { Route } from "../../relay/routes.js";
import { jobMessage } from "../support/messages.js";

const SECRET = "a-secret-of-some-length";
const NOW = new Date("2026-03-01T12:00:00.000Z");
const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

const route: Route = {
  name: "pipeline",
  repositories: ["uva-bii/pipeline"],
  events: ["push", "release"],
  ref: undefined,
  target: { host: "login.example.org", port: 22, user: "bii" },
  action: { kind: "script", script: "run.sh" },
};

function policy(overrides: Partial<InboundPolicy> = {}): InboundPolicy {
  return {
    routes: [route],
    legacyRepository: undefined,
    signingSecret: undefined,
    maxMessageAgeSeconds: 14 * 24 * 3600 + 3600,
    ...overrides,
  };
}

function received(message: JobMessage, secret?: string): Received {
  return { messageId: "m-1", ...encodeMessage(message, secret), sentAt: NOW };
}

function madeAgo(ms: number): JobMessage {
  return jobMessage({ timestamp: new Date(NOW.getTime() - ms).toISOString() });
}

describe("checkMessage, for contract messages", () => {
  it("accepts a routed message with its route and event key", () => {
    const message = madeAgo(MINUTE);

    const result = checkMessage(received(message), policy(), NOW);

    expect(result).toEqual({
      kind: "accepted",
      message,
      route,
      eventKey: eventKey(message),
      legacy: false,
    });
  });

  it("refuses a repository no route allows, naming it", () => {
    const message = jobMessage({ repository: "someone/else" });

    const result = checkMessage(received(message), policy(), NOW);

    expect(result).toMatchObject({
      kind: "refused",
      reason: "not_allowed",
      repository: "someone/else",
    });
  });

  it("refuses an event no route allows", () => {
    const message = jobMessage({ event: "workflow_dispatch" });

    const result = checkMessage(received(message), policy(), NOW);

    expect(result).toMatchObject({ reason: "not_allowed" });
  });

  it("refuses an attribute its route does not name, and accepts those it does", () => {
    const limited = { ...route, attributes: ["PARTITION"] };
    const check = (attributes: Record<string, string>) =>
      checkMessage(
        received({ ...madeAgo(MINUTE), attributes }),
        policy({ routes: [limited] }),
        NOW,
      );

    expect(check({ PARTITION: "gpu", NODES: "2" })).toEqual({
      kind: "refused",
      reason: "not_allowed",
      detail:
        "attribute 'NODES' is not allowed by route 'pipeline' (expected only PARTITION)",
      repository: "uva-bii/pipeline",
    });
    expect(check({ PARTITION: "gpu" })).toMatchObject({ kind: "accepted" });
    expect(check({})).toMatchObject({ kind: "accepted" });
  });

  it("refuses a body that is not JSON as malformed", () => {
    const result = checkMessage(
      {
        messageId: "m-1",
        body: '{"contract": 1,',
        attributes: {},
        sentAt: NOW,
      },
      policy(),
      NOW,
    );

    expect(result).toMatchObject({ kind: "refused", reason: "malformed" });
  });

  it("refuses a body with missing fields as malformed, naming them", () => {
    // JSON.stringify leaves out a field that is undefined.
    const body = JSON.stringify({ ...jobMessage(), sha: undefined });

    const result = checkMessage(
      { messageId: "m-1", body, attributes: {}, sentAt: NOW },
      policy(),
      NOW,
    );

    expect(result).toMatchObject({ kind: "refused", reason: "malformed" });
    expect((result as Refusal).detail).toContain("sha undefined is not valid");
  });

  it("accepts an old message when messages are not signed", () => {
    const result = checkMessage(received(madeAgo(40 * DAY)), policy(), NOW);

    expect(result.kind).toBe("accepted");
  });
});

describe("checkMessage, with a signing secret", () => {
  const signed = policy({ signingSecret: SECRET });

  it("accepts a message signed with the secret", () => {
    const result = checkMessage(received(madeAgo(MINUTE), SECRET), signed, NOW);

    expect(result.kind).toBe("accepted");
  });

  it("refuses an unsigned message", () => {
    const result = checkMessage(received(madeAgo(MINUTE)), signed, NOW);

    expect(result).toMatchObject({ kind: "refused", reason: "unsigned" });
  });

  it("refuses a message signed with another secret", () => {
    const message = received(madeAgo(MINUTE), "another-secret-entirely");

    const result = checkMessage(message, signed, NOW);

    expect(result).toMatchObject({ reason: "bad_signature" });
  });

  it("refuses a signed message whose body was changed", () => {
    const message = received(madeAgo(MINUTE), SECRET);
    const body = message.body.replace("uva-bii/pipeline", "uva-bii/other");

    const result = checkMessage({ ...message, body }, signed, NOW);

    expect(result).toMatchObject({ reason: "bad_signature" });
  });

  it("accepts a message signed 13 days ago, which waited out a maintenance", () => {
    const result = checkMessage(
      received(madeAgo(13 * DAY), SECRET),
      signed,
      NOW,
    );

    expect(result.kind).toBe("accepted");
  });

  it("refuses a message older than the maximum age as expired", () => {
    const tight = policy({ signingSecret: SECRET, maxMessageAgeSeconds: 3600 });

    const result = checkMessage(
      received(madeAgo(61 * MINUTE), SECRET),
      tight,
      NOW,
    );

    expect(result).toMatchObject({
      kind: "refused",
      reason: "expired",
      repository: "uva-bii/pipeline",
    });
    expect((result as Refusal).detail).toContain(
      "RELAY_MAX_MESSAGE_AGE_SECONDS=3600",
    );
  });

  it("allows a clock up to five minutes ahead, not more", () => {
    const ahead = checkMessage(
      received(madeAgo(-4 * MINUTE), SECRET),
      signed,
      NOW,
    );
    const future = checkMessage(
      received(madeAgo(-6 * MINUTE), SECRET),
      signed,
      NOW,
    );

    expect(ahead.kind).toBe("accepted");
    expect(future).toMatchObject({ reason: "expired" });
  });
});

describe("checkMessage, for legacy plain-body messages", () => {
  const legacy = policy({ legacyRepository: "uva-bii/pipeline" });
  const release: Received = {
    messageId: "m-1",
    body: "release",
    attributes: { VERSION: { DataType: "String", StringValue: "1.2.3" } },
    sentAt: new Date(NOW.getTime() - MINUTE),
  };

  it("attributes them to GIT_REPO, with the event from the body", () => {
    const result = checkMessage(release, legacy, NOW);

    expect(result).toMatchObject({
      kind: "accepted",
      legacy: true,
      message: {
        repository: "uva-bii/pipeline",
        event: "release",
        version: "1.2.3",
        timestamp: release.sentAt.toISOString(),
      },
    });
  });

  it("keys them by message id when they name no commit, so each one sent runs once", () => {
    const key = (r: Received): string | undefined => {
      const result = checkMessage(r, legacy, NOW);
      return result.kind === "accepted" ? result.eventKey : undefined;
    };

    const first = key(release);
    const again = key({ ...release });
    const second = key({ ...release, messageId: "m-2" });

    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(again).toBe(first);
    expect(second).not.toBe(first);
  });

  it("keys them by the event when they name a commit", () => {
    const sha = "a".repeat(40);
    const withSha = (messageId: string): Received => ({
      ...release,
      messageId,
      attributes: {
        ...release.attributes,
        TRAVIS_COMMIT: { DataType: "String", StringValue: sha },
      },
    });

    const one = checkMessage(withSha("m-1"), legacy, NOW);
    const other = checkMessage(withSha("m-2"), legacy, NOW);

    expect(one).toMatchObject({ kind: "accepted" });
    expect(other).toMatchObject({
      eventKey: one.kind === "accepted" ? one.eventKey : "none",
    });
  });

  it("refuses them as malformed when GIT_REPO names no one repository", () => {
    const result = checkMessage(release, policy(), NOW);

    expect(result).toMatchObject({ reason: "malformed" });
  });

  it("still needs a signature when a secret is set", () => {
    const result = checkMessage(
      release,
      policy({ legacyRepository: "uva-bii/pipeline", signingSecret: SECRET }),
      NOW,
    );

    expect(result).toMatchObject({ reason: "unsigned" });
  });

  it("refuses them with a secret even when the body carries a valid signature, since the attributes are not signed", () => {
    const signed: Received = {
      ...release,
      attributes: {
        ...release.attributes,
        SIGNATURE: {
          DataType: "String",
          StringValue: signBody("release", SECRET),
        },
      },
    };

    const result = checkMessage(
      signed,
      policy({ legacyRepository: "uva-bii/pipeline", signingSecret: SECRET }),
      NOW,
    );

    expect(result).toMatchObject({ kind: "refused", reason: "unsigned" });
    expect((result as Refusal).detail).toMatch(
      /only signed contract messages are run/,
    );
  });
});
