import { parseAttributes } from "../../action/attributes.js";

describe("parsing the attributes input", () => {
  it("reads KEY=value lines, skipping blank and comment lines", async () => {
    const text = "PARTITION=gpu\n\n# a comment\nURL = https://x.org/?a=b:c\n";

    expect(await parseAttributes(text)).toEqual({
      PARTITION: "gpu",
      URL: "https://x.org/?a=b:c",
    });
  });

  it("reads a YAML map and keeps every value as written", async () => {
    const text = "PARTITION: gpu\nTAG: 1.10\nDEBUG: on\nQUERY: a=b\n";

    expect(await parseAttributes(text)).toEqual({
      PARTITION: "gpu",
      TAG: "1.10",
      DEBUG: "on",
      QUERY: "a=b",
    });
  });

  it("keeps an empty value as an empty string", async () => {
    expect(await parseAttributes("EMPTY=")).toEqual({ EMPTY: "" });
  });

  it("names a key that is not a valid name and the rule", async () => {
    await expect(parseAttributes("my-key: 1")).rejects.toThrow(
      "attributes: name 'my-key' is not allowed: expected a letter or underscore, then letters, digits or underscores",
    );
  });

  it("names a reserved key", async () => {
    await expect(parseAttributes("PATH=/tmp")).rejects.toThrow(
      "attributes: name 'PATH' is not allowed: the name is reserved",
    );
  });

  it.each(["REPOSITORY", "sha", "REF", "SIGNATURE", "Version"])(
    "refuses %s, a message attribute the contract sets itself",
    async (name) => {
      await expect(parseAttributes(`${name}=forged`)).rejects.toThrow(
        `attributes: name '${name}' is not allowed: the name is reserved`,
      );
    },
  );

  it("refuses a value over 64 KiB, naming the key and the limit", async () => {
    await expect(
      parseAttributes(`NOTES=${"x".repeat(64 * 1024 + 1)}`),
    ).rejects.toThrow(
      "attributes: the value of 'NOTES' is 65537 bytes (expected at most 65536",
    );
    await expect(
      parseAttributes(`NOTES=${"x".repeat(64 * 1024)}`),
    ).resolves.toHaveProperty("NOTES");
  });

  it("refuses a key given twice in KEY=value lines", async () => {
    await expect(parseAttributes("A=1\nA=2")).rejects.toThrow(
      "attributes: 'A' is given twice (expected each name once)",
    );
  });

  it("refuses a nested YAML value, naming its key", async () => {
    await expect(parseAttributes("NODES:\n  - a\n  - b\n")).rejects.toThrow(
      "attributes: the value of 'NODES' is a list (expected a single value, text or a number)",
    );
  });

  it("refuses text that is neither form", async () => {
    await expect(parseAttributes("just words")).rejects.toThrow(
      "attributes: is neither KEY=value lines nor a YAML map",
    );
  });

  it("refuses a control character SQS would refuse, naming the key", async () => {
    await expect(parseAttributes("BELL=ding\u0007")).rejects.toThrow(
      "attributes: the value of 'BELL' contains the character U+0007",
    );
  });
});
