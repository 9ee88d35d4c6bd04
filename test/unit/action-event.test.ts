import { deriveVersion, eventFields } from "../../action/event.js";

const env = {
  GITHUB_EVENT_NAME: "push",
  GITHUB_REPOSITORY: "uva/bii",
  GITHUB_SHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  GITHUB_REF: "refs/heads/main",
  GITHUB_RUN_ID: "77",
  GITHUB_SERVER_URL: "https://github.example.edu",
  GITHUB_ACTOR: "octocat",
};

describe("deriving the version from the event", () => {
  it.each([
    [
      "release",
      "refs/tags/v2.0.0",
      { release: { tag_name: "v2.0.0" } },
      "2.0.0",
    ],
    [
      "release",
      "refs/heads/main",
      { release: { tag_name: "2026.1" } },
      "2026.1",
    ],
    ["push", "refs/tags/v1.2.3", {}, "1.2.3"],
    ["push", "refs/tags/1.2.3", {}, "1.2.3"],
    ["push", "refs/tags/vendor-drop", {}, "vendor-drop"],
    ["push", "refs/heads/v1", {}, ""],
    ["workflow_dispatch", "refs/heads/main", {}, ""],
    ["workflow_dispatch", "refs/tags/v2.0.0", {}, "2.0.0"],
  ])("gives a %s of %s the version '%s'", (event, ref, payload, version) => {
    expect(deriveVersion(event, ref, payload)).toBe(version);
  });
});

describe("reading the event's fields", () => {
  it("links the workflow run on the runner's server", () => {
    const fields = eventFields(env, {}, undefined);

    expect(fields).toEqual({
      event: "push",
      repository: "uva/bii",
      sha: env.GITHUB_SHA,
      ref: "refs/heads/main",
      version: "",
      actor: "octocat",
      runId: "77",
      runUrl: "https://github.example.edu/uva/bii/actions/runs/77",
      deleted: false,
    });
  });

  it("keeps a version given as an input exactly as written", () => {
    const fields = eventFields(
      { ...env, GITHUB_REF: "refs/tags/v9" },
      {},
      "v1.0",
    );

    expect(fields.version).toBe("v1.0");
  });

  it("takes the actor from the payload's sender when GITHUB_ACTOR is unset", () => {
    const fields = eventFields(
      { ...env, GITHUB_ACTOR: undefined },
      { sender: { login: "Codertocat" } },
      undefined,
    );

    expect(fields.actor).toBe("Codertocat");
  });

  it("marks a push that deleted its ref", () => {
    expect(eventFields(env, { deleted: true }, undefined).deleted).toBe(true);
  });

  it("says the action must run in a workflow when GITHUB_SHA is missing", () => {
    expect(() =>
      eventFields({ ...env, GITHUB_SHA: undefined }, {}, undefined),
    ).toThrow("GITHUB_SHA: is not set (expected the runner to set it");
  });
});
