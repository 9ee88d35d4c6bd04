import { eventKey } from "../../protocol/event-key.js";
import type { JobRequest } from "../../relay/inbound.js";
import { jobCommand, jobEnvironment } from "../../relay/job-command.js";
import type { Route, SbatchAction } from "../../relay/routes.js";
import { jobMessage } from "../support/messages.js";

const message = jobMessage({
  event: "release",
  ref: "refs/tags/v1.2.3",
  version: "1.2.3",
  attributes: { DATASET: "atlas" },
});

function request(action: Route["action"]): JobRequest {
  return {
    kind: "accepted",
    message,
    route: {
      name: "pipeline",
      repositories: ["uva-bii/pipeline"],
      events: undefined,
      ref: undefined,
      target: { host: "login.example.org", port: 22, user: "bii" },
      action,
    },
    eventKey: eventKey(message),
    legacy: false,
  };
}

function sbatch(options: Partial<SbatchAction> = {}): SbatchAction {
  return {
    kind: "sbatch",
    script: "jobs/build.slurm",
    jobName: undefined,
    partition: undefined,
    account: undefined,
    time: undefined,
    ...options,
  };
}

describe("jobEnvironment", () => {
  it("gives the job the original variables, the run's, and custom attributes", () => {
    const env = jobEnvironment(message, "m-1", "k-1");

    expect(env).toEqual({
      DATASET: "atlas",
      GIT_REPO: "uva-bii/pipeline",
      GIT_SHA: message.sha,
      GIT_REF: "refs/tags/v1.2.3",
      VERSION: "1.2.3",
      EVENT: "release",
      GIT_ACTOR: "octocat",
      GITHUB_RUN_ID: "42",
      GITHUB_RUN_URL: message.runUrl,
      BII_MESSAGE_ID: "m-1",
      BII_EVENT_KEY: "k-1",
    });
  });
});

describe("jobCommand", () => {
  it("runs a route's script with bash, VERSION as its argument", () => {
    const command = jobCommand(
      request({ kind: "script", script: "~/run.sh" }),
      "m-1",
    );

    expect(command.argv).toEqual(["bash", "~/run.sh"]);
    expect(command.appendVersion).toBe(true);
    expect(command.env.BII_EVENT_KEY).toBe(eventKey(message));
  });

  it("submits an sbatch route with its options and a default job name", () => {
    const action = sbatch({
      partition: "standard",
      account: "bii_lab",
      time: "1:00:00",
    });

    const command = jobCommand(request(action), "m-1");

    expect(command.argv).toEqual([
      "sbatch",
      "--parsable",
      "--export=ALL",
      "--job-name=bii-pipeline",
      "--partition=standard",
      "--account=bii_lab",
      "--time=1:00:00",
      "jobs/build.slurm",
    ]);
    expect(command.appendVersion).toBe(false);
  });

  it("uses the route's job name and leaves out options it does not set", () => {
    const command = jobCommand(request(sbatch({ jobName: "nightly" })), "m-1");

    expect(command.argv).toEqual([
      "sbatch",
      "--parsable",
      "--export=ALL",
      "--job-name=nightly",
      "jobs/build.slurm",
    ]);
  });
});
