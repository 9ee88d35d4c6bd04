import {
  encodeMessage,
  messageBytes,
  sizeProblem,
} from "../../protocol/encode.js";
import { signatureMatches } from "../../protocol/signature.js";
import { jobMessage } from "../support/messages.js";

describe("encodeMessage", () => {
  it("copies the key fields into String attributes, leaving out empty ones", () => {
    const encoded = encodeMessage(
      jobMessage({ version: "", attributes: { DATASET: "hg38" } }),
    );

    expect(Object.keys(encoded.attributes)).toEqual([
      "EVENT",
      "REPOSITORY",
      "SHA",
      "REF",
      "DATASET",
    ]);
    expect(encoded.attributes.DATASET).toEqual({
      DataType: "String",
      StringValue: "hg38",
    });
  });

  it("signs the body it sends when given a secret", () => {
    const secret = "a-signing-secret-of-length";

    const encoded = encodeMessage(jobMessage(), secret);

    const signature = encoded.attributes.SIGNATURE?.StringValue;
    expect(signatureMatches(encoded.body, signature, secret)).toBe(true);
  });
});

describe("sizeProblem", () => {
  it("counts the body and each attribute's name, type and value", () => {
    const encoded = {
      body: "ab",
      attributes: { K: { DataType: "String" as const, StringValue: "é" } },
    };

    expect(messageBytes(encoded)).toBe(2 + 1 + 6 + 2);
  });

  it("refuses more than ten attributes, naming them", () => {
    const attributes = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [
        `A${String(i)}`,
        { DataType: "String" as const, StringValue: "x" },
      ]),
    );

    expect(sizeProblem({ body: "{}", attributes })).toMatch(
      /^the message would carry 11 message attributes \(A0, .*A10\); SQS allows at most 10$/,
    );
  });

  it("refuses a message over 1 MiB and accepts one at the limit", () => {
    const at = { body: "x".repeat(1024 * 1024), attributes: {} };
    const over = { body: "x".repeat(1024 * 1024 + 1), attributes: {} };

    expect(sizeProblem(at)).toBeUndefined();
    expect(sizeProblem(over)).toBe(
      "the message would be 1048577 bytes; SQS allows at most 1048576 (1 MiB) for the body and attributes together",
    );
  });
});
