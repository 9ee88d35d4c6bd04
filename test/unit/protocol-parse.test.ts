import { ContractError, parseMessage } from "../../protocol/parse.js";
import { jobMessage } from "../support/messages.js";

function problemsOf(body: string): readonly string[] {
  try {
    parseMessage(body);
  } catch (error) {
    if (error instanceof ContractError) {
      return error.problems;
    }
    throw error;
  }
  return [];
}

describe("parseMessage", () => {
  it("returns a valid message as it was sent", () => {
    const message = jobMessage({ attributes: { DATASET: "a\nb 'c'" } });

    expect(parseMessage(JSON.stringify(message))).toEqual(message);
  });

  it("says the body is not JSON", () => {
    expect(problemsOf("{not json")).toEqual([
      expect.stringMatching(/^the body is not valid JSON/),
    ]);
  });

  it("names every wrong field with its value and what was expected", () => {
    const body = JSON.stringify({
      ...jobMessage(),
      sha: "xyz",
      repository: "no-slash",
      ref: "refs/heads/a\nb",
      attributes: { PATH: "/tmp", "bad-name": "x" },
    });

    const problems = problemsOf(body);

    expect(problems).toEqual([
      "repository \"no-slash\" is not valid (expected 'owner/name')",
      'sha "xyz" is not valid (expected 40 or 64 hex digits)',
      expect.stringMatching(/^ref "refs\/heads\/a\\nb" is not valid/),
      expect.stringMatching(
        /^attribute name "PATH" is not allowed: the name is reserved/,
      ),
      expect.stringMatching(/^attribute name "bad-name" is not allowed/),
    ]);
  });

  it.each([
    "GIT_CONFIG_KEY_0",
    "GIT_SSH_COMMAND",
    "git_dir",
    "OMPI_MCA_plm_rsh_agent",
    "APPTAINERENV_LD_PRELOAD",
    "SINGULARITYENV_PATH",
    "PYTHONBREAKPOINT",
    "LESSOPEN",
    "GCONV_PATH",
    "LMOD_SYSTEM_NAME",
    "R_PROFILE_USER",
  ])(
    "refuses the attribute name %s, which can make a program on the cluster run code",
    (name) => {
      const body = JSON.stringify({
        ...jobMessage(),
        attributes: { [name]: "touch /tmp/owned" },
      });

      expect(problemsOf(body)).toEqual([
        expect.stringMatching(
          new RegExp(`^attribute name "${name}" is not allowed: .*reserved`),
        ),
      ]);
    },
  );

  it("refuses a contract version it does not know", () => {
    const body = JSON.stringify({ ...jobMessage(), contract: 2 });

    expect(problemsOf(body)).toEqual([
      "contract 2 is not supported (expected 1)",
    ]);
  });

  it("refuses fields of the wrong type", () => {
    const body = JSON.stringify({ ...jobMessage(), runId: 42, attributes: [] });

    expect(problemsOf(body)).toEqual([
      expect.stringMatching(/^runId 42 is not valid/),
      expect.stringMatching(/^attributes \[\] is not valid/),
    ]);
  });

  it("refuses attribute names that would change how the job's shell runs", () => {
    for (const name of [
      "LD_PRELOAD",
      "BASH_ENV",
      "slurm_job_id",
      "BASH_FUNC_x%%",
    ]) {
      const body = JSON.stringify(jobMessage({ attributes: { [name]: "x" } }));

      expect(problemsOf(body)).toHaveLength(1);
    }
  });

  it("refuses a timestamp without a time zone, which would read as local time", () => {
    const body = JSON.stringify(
      jobMessage({ timestamp: "2026-01-31T12:00:00" }),
    );

    expect(problemsOf(body)).toEqual([
      expect.stringMatching(/^timestamp "2026-01-31T12:00:00" is not valid/),
    ]);
  });

  it("refuses attribute values with characters SQS would refuse", () => {
    const body = JSON.stringify(
      jobMessage({
        attributes: { OK: "tab\tnew\nline 🚀", BAD: "bell\u0007" },
      }),
    );

    expect(problemsOf(body)).toEqual([
      expect.stringMatching(/^attribute "BAD" has value "bell\\u0007"/),
    ]);
  });
});
