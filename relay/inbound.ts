/**
 * The checks every received message passes before anything reaches the
 * cluster: it must parse, carry a valid signature when a secret is
 * configured, be fresh enough, and be routed by configuration. A message
 * that fails is refused, with a reason from a small fixed set (so that it
 * can be a metric label) and a detail for the log.
 */
import { eventKey } from "../protocol/event-key.js";
import { ATTRIBUTE, type JobMessage } from "../protocol/message.js";
import {
  ContractError,
  looksLikeContract,
  parseMessage,
} from "../protocol/parse.js";
import { signatureMatches } from "../protocol/signature.js";
import {
  readLegacyMessage,
  type ReceivedAttributes,
} from "./legacy-message.js";
import { findRoute, type Route } from "./routes.js";

/** Why a message was refused. */
export type RefusalReason =
  "malformed" | "unsigned" | "bad_signature" | "expired" | "not_allowed";

/** A message the relay will not run, and why. */
export interface Refusal {
  kind: "refused";
  reason: RefusalReason;
  detail: string;
  /** The repository, when the message named one. */
  repository: string | undefined;
}

/** A message ready to run. */
export interface JobRequest {
  kind: "accepted";
  message: JobMessage;
  route: Route;
  /** Equal for every delivery of the same event. */
  eventKey: string;
  legacy: boolean;
}

/** What the checks need to know. */
export interface InboundPolicy {
  routes: readonly Route[];
  legacyRepository: string | undefined;
  signingSecret: string | undefined;
  maxMessageAgeSeconds: number;
}

/** A received SQS message, as far as the checks need it. */
export interface Received {
  /** SQS's id for the message: the same for every delivery of it. */
  messageId: string;
  body: string;
  attributes: ReceivedAttributes;
  sentAt: Date;
}

// Clocks differ; a message stamped a little in the future is still fine.
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Checks one message.
 * @param received - the message's body, attributes and SQS sent time
 * @param policy - the relay's configuration
 * @param now - the current time
 */
export function checkMessage(
  received: Received,
  policy: InboundPolicy,
  now: Date,
): JobRequest | Refusal {
  const legacy = !looksLikeContract(received.body);
  const signature = received.attributes[ATTRIBUTE.signature]?.StringValue;

  if (policy.signingSecret !== undefined) {
    // A legacy message's values travel in attributes, which no signature
    // covers: with a secret, only contract bodies are run.
    if (legacy) {
      return refuse(
        "unsigned",
        "the body is not the JSON contract, and with a signing secret configured only signed contract messages are run (send with the Action or templates/travis.yml)",
      );
    }
    if (signature === undefined) {
      return refuse(
        "unsigned",
        "the message has no SIGNATURE attribute and a signing secret is configured",
      );
    }
    if (!signatureMatches(received.body, signature, policy.signingSecret)) {
      return refuse(
        "bad_signature",
        "the SIGNATURE attribute does not match the body (a different secret, or the body was changed)",
      );
    }
  }

  let message: JobMessage;
  try {
    message = legacy
      ? readLegacyMessage(
          received.body,
          received.attributes,
          policy.legacyRepository,
          received.sentAt,
        )
      : parseMessage(received.body);
  } catch (error) {
    if (error instanceof ContractError) {
      return refuse("malformed", error.message);
    }
    throw error;
  }

  const age = ageProblem(message.timestamp, policy, now);
  if (age !== undefined) {
    return refuse("expired", age, message.repository);
  }

  const route = findRoute(policy.routes, message);
  if (route === undefined) {
    return refuse(
      "not_allowed",
      `no route allows repository '${message.repository}', event '${message.event}', ref '${message.ref}'`,
      message.repository,
    );
  }
  const unexpected = unexpectedAttribute(message, route);
  if (unexpected !== undefined) {
    return refuse("not_allowed", unexpected, message.repository);
  }
  return {
    kind: "accepted",
    message,
    route,
    eventKey: legacy ? legacyEventKey(message, received) : eventKey(message),
    legacy,
  };
}

// A route may name the attributes its script expects; anything else a
// message carries is refused, since no list of dangerous variable names can
// be complete.
function unexpectedAttribute(
  message: JobMessage,
  route: Route,
): string | undefined {
  const allowed = route.attributes;
  if (allowed === undefined) {
    return undefined;
  }

  const name = Object.keys(message.attributes).find(
    (n) => !allowed.includes(n),
  );
  return name === undefined
    ? undefined
    : `attribute '${name}' is not allowed by route '${route.name}' (expected only ${allowed.length > 0 ? allowed.join(", ") : "none"})`;
}

/**
 * A legacy message names no commit, so two of them with the same body and
 * version may well be two builds; only its own redeliveries are certainly the
 * same event. Without a SHA, its key is therefore the message's id, and each
 * message sent runs once, as the original container ran every message.
 */
function legacyEventKey(message: JobMessage, received: Received): string {
  if (message.sha !== "") {
    return eventKey(message);
  }
  return eventKey({ ...message, ref: `sqs-message:${received.messageId}` });
}

function ageProblem(
  timestamp: string,
  policy: InboundPolicy,
  now: Date,
): string | undefined {
  // Only a signature makes the timestamp trustworthy; without one, age
  // proves nothing and an old message in the queue is still wanted.
  if (policy.signingSecret === undefined) {
    return undefined;
  }

  const made = Date.parse(timestamp);
  const ageMs = now.getTime() - made;
  if (ageMs < -CLOCK_SKEW_MS) {
    return `the message's timestamp ${timestamp} is in the future (clock skew over 5 minutes)`;
  }
  if (ageMs > policy.maxMessageAgeSeconds * 1000) {
    return `the message was signed at ${timestamp}, more than RELAY_MAX_MESSAGE_AGE_SECONDS=${policy.maxMessageAgeSeconds} ago`;
  }
  return undefined;
}

function refuse(
  reason: RefusalReason,
  detail: string,
  repository?: string,
): Refusal {
  return { kind: "refused", reason, detail, repository };
}
