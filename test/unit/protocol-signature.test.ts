import { signatureMatches, signBody } from "../../protocol/signature.js";

describe("message signatures", () => {
  const secret = "a-secret-of-some-length";

  it("accept the body they were made for", () => {
    const body = '{"a":1}';

    expect(signatureMatches(body, signBody(body, secret), secret)).toBe(true);
  });

  it("refuse a changed body, another secret, a missing or malformed value", () => {
    const signature = signBody('{"a":1}', secret);

    expect(signatureMatches('{"a":2}', signature, secret)).toBe(false);
    expect(signatureMatches('{"a":1}', signature, "another-secret-x")).toBe(
      false,
    );
    expect(signatureMatches('{"a":1}', undefined, secret)).toBe(false);
    expect(signatureMatches('{"a":1}', signature.slice(7), secret)).toBe(false);
    expect(signatureMatches('{"a":1}', "sha256=00", secret)).toBe(false);
  });

  it("are HMAC-SHA256 in hex with a sha256= prefix", () => {
    // RFC 4231 test case 2.
    expect(signBody("what do ya want for nothing?", "Jefe")).toBe(
      "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
});
