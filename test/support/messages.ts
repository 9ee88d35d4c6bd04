import type { JobMessage } from "../../protocol/message.js";

/** A valid contract message; override what a test is about. */
export function jobMessage(overrides: Partial<JobMessage> = {}): JobMessage {
  return {
    contract: 1,
    event: "push",
    repository: "uva-bii/pipeline",
    sha: "0123456789abcdef0123456789abcdef01234567",
    ref: "refs/heads/main",
    version: "",
    actor: "octocat",
    runId: "42",
    runUrl: "https://github.com/uva-bii/pipeline/actions/runs/42",
    attributes: {},
    timestamp: new Date().toISOString(),
    ...overrides,
  };
}
