import { createHash } from "node:crypto";

/** The fields that make two messages the same event. */
export interface EventIdentity {
  repository: string;
  event: string;
  sha: string;
  ref: string;
  version: string;
}

/**
 * A stable key for one event: equal for a message delivered twice, sent
 * twice or received by two relays, different for a new commit, ref, release
 * or event type. The Action uses it as the FIFO deduplication id (SQS's
 * content-based deduplication hashes the body, whose timestamp differs each
 * run) and the relay as its idempotency key.
 * @returns 64 hex digits
 */
export function eventKey(identity: EventIdentity): string {
  const fields = [
    identity.repository.toLowerCase(),
    identity.event,
    identity.sha.toLowerCase(),
    identity.ref,
    identity.version,
  ];
  // A separator that cannot occur inside any field keeps ("a b", "c") and
  // ("a", "b c") apart.
  return createHash("sha256").update(fields.join("\0")).digest("hex");
}
