import { createHash, createHmac } from "node:crypto";

// The SDK's own signer (installed with @aws-sdk/client-sqs), as the
// reference this signer must agree with.
import { SignatureV4 } from "@smithy/signature-v4";

import { signRequest, type Credentials } from "../../action/sigv4.js";

/** The checksum interface the SDK's signer takes, over node:crypto. */
class Sha256 {
  private readonly secret: string | Buffer | undefined;
  private hash: { update(data: Uint8Array): unknown; digest(): Buffer };

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    if (secret === undefined || typeof secret === "string") {
      this.secret = secret;
    } else if (secret instanceof ArrayBuffer) {
      this.secret = Buffer.from(secret);
    } else {
      this.secret = Buffer.from(
        secret.buffer,
        secret.byteOffset,
        secret.byteLength,
      );
    }
    this.hash = this.start();
  }

  private start() {
    return this.secret === undefined
      ? createHash("sha256")
      : createHmac("sha256", this.secret);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }

  reset(): void {
    this.hash = this.start();
  }
}

const body = JSON.stringify({
  QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
  MessageBody: '{"contract":1,"note":"wörld"}',
});
const now = new Date("2026-01-31T12:34:56.789Z");

async function sdkAuthorization(
  url: URL,
  credentials: Credentials,
): Promise<Record<string, string>> {
  const { sessionToken, ...keys } = credentials;
  const signer = new SignatureV4({
    credentials: sessionToken === undefined ? keys : { ...keys, sessionToken },
    region: "eu-west-1",
    service: "sqs",
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === "" ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AmazonSQS.SendMessage",
      },
      body,
    },
    { signingDate: now },
  );
  return signed.headers;
}

function ours(url: URL, credentials: Credentials): Record<string, string> {
  return signRequest(
    {
      url,
      body,
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.SendMessage",
      },
    },
    credentials,
    { region: "eu-west-1", service: "sqs", now },
  );
}

describe("signing an SQS request with Signature Version 4", () => {
  const keys = {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  };

  it("gives the SDK's signature for long-term keys", async () => {
    const url = new URL("https://sqs.eu-west-1.amazonaws.com/");

    const expected = await sdkAuthorization(url, keys);

    expect(ours(url, keys).authorization).toBe(expected.authorization);
    expect(ours(url, keys)["x-amz-date"]).toBe("20260131T123456Z");
  });

  it("gives the SDK's signature with a session token, signing the token", async () => {
    const url = new URL("https://sqs.eu-west-1.amazonaws.com/");
    const session = { ...keys, sessionToken: "FwoGZXIvYXdzEJr//token" };

    const expected = await sdkAuthorization(url, session);

    const headers = ours(url, session);
    expect(headers.authorization).toBe(expected.authorization);
    expect(headers.authorization).toContain("x-amz-security-token");
    expect(headers["x-amz-security-token"]).toBe(session.sessionToken);
  });

  it("gives the SDK's signature for an endpoint on its own port", async () => {
    const url = new URL("http://127.0.0.1:9324/");

    const expected = await sdkAuthorization(url, keys);

    expect(ours(url, keys).authorization).toBe(expected.authorization);
    expect(ours(url, keys).host).toBe("127.0.0.1:9324");
  });
});
