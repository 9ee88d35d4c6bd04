/**
 * AWS Signature Version 4 for one JSON POST. The SDK's signer does the same;
 * it is written out here because loading the SDK client takes longer than
 * the whole rest of a publish (bench/results/publish.md), and a unit test
 * checks this signer against the SDK's, header for header.
 */
import { createHash, createHmac } from "node:crypto";

/** AWS credentials, as the SDK's default chain resolves them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** A request to sign: POST of `body` to `url`, with these headers. */
export interface UnsignedRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** Where and when the request is signed. */
export interface SigningScope {
  region: string;
  service: string;
  now: Date;
}

const ALGORITHM = "AWS4-HMAC-SHA256";

/**
 * Signs a POST request.
 * @returns the request's headers plus host, x-amz-date, the session token
 *   when there is one, and authorization
 */
export function signRequest(
  request: UnsignedRequest,
  credentials: Credentials,
  scope: SigningScope,
): Record<string, string> {
  // 20260131T120000Z: ISO 8601 basic format, seconds precision.
  const amzDate = scope.now.toISOString().replace(/[-:]|\.\d{3}/g, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...lowerCaseKeys(request.headers),
    host: request.url.host,
    "x-amz-date": amzDate,
  };
  if (credentials.sessionToken !== undefined) {
    headers["x-amz-security-token"] = credentials.sessionToken;
  }

  const names = Object.keys(headers).sort();
  const canonical = [
    "POST",
    request.url.pathname,
    "",
    ...names.map((name) => `${name}:${(headers[name] ?? "").trim()}`),
    "",
    names.join(";"),
    sha256(request.body),
  ].join("\n");

  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256(canonical)];
  const key = signingKey(credentials.secretAccessKey, day, scope);
  const signature = hmac(key, stringToSign.join("\n")).toString("hex");

  headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return headers;
}

function signingKey(secret: string, day: string, scope: SigningScope) {
  const dayKey = hmac(`AWS4${secret}`, day);
  const regionKey = hmac(dayKey, scope.region);
  const serviceKey = hmac(regionKey, scope.service);
  return hmac(serviceKey, "aws4_request");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

function sha256(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

function lowerCaseKeys(headers: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}
