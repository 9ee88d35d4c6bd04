import { eventKey } from "../../protocol/event-key.js";
import { jobMessage } from "../support/messages.js";

describe("eventKey", () => {
  it("is the same for the same event sent at another time by another run", () => {
    const first = jobMessage({ runId: "1", timestamp: "2026-01-01T00:00:00Z" });
    const again = jobMessage({ runId: "2", timestamp: "2026-02-01T00:00:00Z" });

    expect(eventKey(again)).toBe(eventKey(first));
  });

  it("differs when the commit, ref, version or event differs", () => {
    const base = eventKey(jobMessage());

    expect(eventKey(jobMessage({ sha: "f".repeat(40) }))).not.toBe(base);
    expect(eventKey(jobMessage({ ref: "refs/heads/dev" }))).not.toBe(base);
    expect(eventKey(jobMessage({ version: "1.0.0" }))).not.toBe(base);
    expect(eventKey(jobMessage({ event: "release" }))).not.toBe(base);
  });

  it("ignores the case of the repository and SHA, as GitHub does", () => {
    const lower = jobMessage();
    const upper = jobMessage({
      repository: lower.repository.toUpperCase(),
      sha: lower.sha.toUpperCase(),
    });

    expect(eventKey(upper)).toBe(eventKey(lower));
  });
});
