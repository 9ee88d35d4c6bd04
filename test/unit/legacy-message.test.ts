import { ContractError } from "../../protocol/parse.js";
import {
  readLegacyMessage,
  type ReceivedAttributes,
} from "../../relay/legacy-message.js";

const REPOSITORY = "uva-bii/pipeline";
const SENT = new Date("2026-03-01T12:00:00.000Z");

function strings(values: Record<string, string>): ReceivedAttributes {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      { DataType: "String", StringValue: value },
    ]),
  );
}

function problemsOf(attributes: ReceivedAttributes): readonly string[] {
  try {
    readLegacyMessage("release", attributes, REPOSITORY, SENT);
  } catch (error) {
    if (error instanceof ContractError) {
      return error.problems;
    }
    throw error;
  }
  return [];
}

describe("readLegacyMessage", () => {
  it("takes the event from the body and the repository from GIT_REPO", () => {
    const message = readLegacyMessage(
      " Release\n",
      strings({ VERSION: "1.2.3" }),
      REPOSITORY,
      SENT,
    );

    expect(message).toEqual({
      contract: 1,
      event: "release",
      repository: REPOSITORY,
      sha: "",
      ref: "",
      version: "1.2.3",
      actor: "",
      runId: "",
      runUrl: "",
      attributes: {},
      timestamp: "2026-03-01T12:00:00.000Z",
    });
  });

  it("calls a body that is not an event name 'legacy'", () => {
    const message = readLegacyMessage("new version!", {}, REPOSITORY, SENT);

    expect(message.event).toBe("legacy");
  });

  it("matches attribute names without regard to case", () => {
    const attributes = strings({
      version: "2.0.0",
      Travis_Commit: "0123456789abcdef0123456789abcdef01234567",
      git_ref: "refs/tags/v2.0.0",
    });

    const message = readLegacyMessage("release", attributes, REPOSITORY, SENT);

    expect(message).toMatchObject({
      version: "2.0.0",
      sha: "0123456789abcdef0123456789abcdef01234567",
      ref: "refs/tags/v2.0.0",
    });
  });

  it("passes other attributes on and leaves the signature out", () => {
    const attributes = strings({
      DATASET: "atlas",
      SIGNATURE: "sha256=00",
    });

    const message = readLegacyMessage("push", attributes, REPOSITORY, SENT);

    expect(message.attributes).toEqual({ DATASET: "atlas" });
  });

  it("accepts a REPOSITORY attribute that names GIT_REPO in another case", () => {
    const problems = problemsOf(strings({ REPOSITORY: "UVA-BII/Pipeline" }));

    expect(problems).toEqual([]);
  });

  it("refuses a REPOSITORY attribute that is not GIT_REPO", () => {
    const problems = problemsOf(strings({ repository: "someone/else" }));

    expect(problems).toEqual([
      'attribute REPOSITORY "someone/else" is not GIT_REPO "uva-bii/pipeline"',
    ]);
  });

  it("refuses attribute names a job's environment may not take", () => {
    const problems = problemsOf(
      strings({ LD_PRELOAD: "/tmp/x.so", path: "/tmp", "bad-name": "x" }),
    );

    expect(problems).toEqual([
      expect.stringMatching(/^attribute name "LD_PRELOAD" is not allowed/),
      expect.stringMatching(/^attribute name "path" is not allowed/),
      expect.stringMatching(/^attribute name "bad-name" is not allowed/),
    ]);
  });

  it("refuses an attribute that is not a String", () => {
    const problems = problemsOf({ DATA: { DataType: "Binary" } });

    expect(problems).toEqual(['attribute "DATA" is not a String attribute']);
  });

  it("refuses a message when GIT_REPO names no one repository", () => {
    expect(() => readLegacyMessage("release", {}, undefined, SENT)).toThrow(
      /names no repository and GIT_REPO is not set to one repository/,
    );
  });

  it("checks the known fields by the contract's rules", () => {
    const problems = problemsOf(
      strings({ VERSION: "1".repeat(300), SHA: "nothex", REF: "a\nb" }),
    );

    expect(problems).toEqual([
      expect.stringMatching(/^sha "nothex" is not valid/),
      expect.stringMatching(/^ref "a\\nb" is not valid/),
      expect.stringMatching(/^version "1+\.\.\. is not valid/),
    ]);
  });
});
