/**
 * Message signatures: HMAC-SHA256 over the exact body bytes, sent as the
 * `SIGNATURE` attribute in the form `sha256=HEX`. The body carries its own
 * timestamp, so the signature also fixes when the message was made and the
 * relay can refuse old ones.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const PREFIX = "sha256=";

/**
 * Signs a message body.
 * @param body - the body exactly as it is sent
 * @param secret - the shared signing secret
 * @returns the `SIGNATURE` attribute value
 */
export function signBody(body: string, secret: string): string {
  const mac = createHmac("sha256", secret).update(body, "utf8").digest("hex");
  return PREFIX + mac;
}

/**
 * Checks a signature in constant time.
 * @param body - the body as received
 * @param signature - the `SIGNATURE` attribute value, if any
 * @param secret - the shared signing secret
 */
export function signatureMatches(
  body: string,
  signature: string | undefined,
  secret: string,
): boolean {
  if (signature === undefined || !signature.startsWith(PREFIX)) {
    return false;
  }

  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
