import { ConfigError } from "../../relay/config-error.js";
import {
  findRoute,
  parseRoutes,
  repositoryGlobs,
  type Route,
  remotePath,
} from "../../relay/routes.js";
import { globMatches } from "../../relay/glob.js";

const DEFAULTS = { host: "login.example.org", port: 22, user: "bii" };

function routesFrom(...lines: string[]): Route[] {
  return parseRoutes(lines.join("\n"), "routes.yaml", DEFAULTS);
}

function errorFrom(...lines: string[]): unknown {
  try {
    routesFrom(...lines);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("globMatches", () => {
  it("matches any run with '*' and one character with '?'", () => {
    expect(globMatches("uva-bii/*", "uva-bii/pipeline")).toBe(true);
    expect(globMatches("refs/tags/v?", "refs/tags/v1")).toBe(true);
    expect(globMatches("refs/tags/v?", "refs/tags/v10")).toBe(false);
  });

  it("matches the whole value, taking other characters literally", () => {
    expect(globMatches("a.b", "axb")).toBe(false);
    expect(globMatches("a.b", "a.b.c")).toBe(false);
    expect(globMatches("(a|b)", "(a|b)")).toBe(true);
  });

  it("ignores case only when asked", () => {
    expect(globMatches("UVA-BII/*", "uva-bii/pipeline")).toBe(false);
    expect(globMatches("UVA-BII/*", "uva-bii/pipeline", true)).toBe(true);
  });
});

describe("findRoute", () => {
  const routes = routesFrom(
    "routes:",
    "  - name: releases",
    "    repository: uva-bii/pipeline",
    "    events: release",
    "    script: release.sh",
    "  - name: tags",
    "    repository: uva-bii/*",
    "    ref: refs/tags/*",
    "    script: tag.sh",
    "  - name: everything",
    "    repository: uva-bii/*",
    "    script: any.sh",
  );
  const push = {
    repository: "uva-bii/pipeline",
    event: "push",
    ref: "refs/heads/main",
  };

  it("returns the first route that matches", () => {
    const key = { ...push, event: "release", ref: "refs/tags/v1" };

    expect(findRoute(routes, key)?.name).toBe("releases");
  });

  it("skips routes whose event or ref does not match", () => {
    expect(findRoute(routes, push)?.name).toBe("everything");
    expect(findRoute(routes, { ...push, ref: "refs/tags/v1" })?.name).toBe(
      "tags",
    );
  });

  it("compares repositories without regard to case, as GitHub does", () => {
    const key = { ...push, repository: "UVA-BII/Pipeline" };

    expect(findRoute(routes, key)?.name).toBe("everything");
  });

  it("returns undefined when no route allows the repository", () => {
    expect(
      findRoute(routes, { ...push, repository: "other/pipeline" }),
    ).toBeUndefined();
  });
});

describe("repositoryGlobs", () => {
  it("reads a comma-separated list, trimming each entry", () => {
    expect(repositoryGlobs(" a/b , c/*", "ALLOWED_REPOS")).toEqual([
      "a/b",
      "c/*",
    ]);
  });

  it("names the entry that is not owner/name", () => {
    expect(() => repositoryGlobs(["a/b", "just-a-name"], "repos")).toThrow(
      `repos "just-a-name" is not valid: expected 'owner/name', globs allowed ('my-org/*')`,
    );
  });

  it("refuses an empty list", () => {
    expect(() => repositoryGlobs([], "repos")).toThrow(ConfigError);
  });
});

describe("parseRoutes", () => {
  it("reads script and sbatch routes, filling the target from defaults", () => {
    const routes = routesFrom(
      "routes:",
      "  - repository: [uva-bii/pipeline, uva-bii/atlas]",
      "    events: [push, release]",
      "    script: bin/run.sh",
      "  - name: gpu",
      "    repository: uva-bii/*",
      "    host: gpu.example.org",
      "    port: 2222",
      "    user: gpujobs",
      "    sbatch:",
      "      script: jobs/train.slurm",
      "      job-name: train",
      "      partition: gpu",
      "      account: bii_lab",
      "      time: 90",
    );

    expect(routes).toEqual([
      {
        name: "uva-bii/pipeline,uva-bii/atlas",
        repositories: ["uva-bii/pipeline", "uva-bii/atlas"],
        events: ["push", "release"],
        ref: undefined,
        target: DEFAULTS,
        action: { kind: "script", script: "bin/run.sh" },
      },
      {
        name: "gpu",
        repositories: ["uva-bii/*"],
        events: undefined,
        ref: undefined,
        target: { host: "gpu.example.org", port: 2222, user: "gpujobs" },
        action: {
          kind: "sbatch",
          script: "jobs/train.slurm",
          jobName: "train",
          partition: "gpu",
          account: "bii_lab",
          time: "90",
        },
      },
    ]);
  });

  it("says when the file is not YAML", () => {
    const error = errorFrom("routes: [", "  - {");

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^routes\.yaml "\(file\)" is not valid: expected valid YAML/,
    );
  });

  it("needs a non-empty list under 'routes'", () => {
    const error = errorFrom("route:", "  - repository: a/b");

    expect((error as Error).message).toBe(
      "routes.yaml: routes undefined is not valid: expected a non-empty list of routes under the key 'routes'",
    );
  });

  it("names an unknown key with the route it is in", () => {
    const error = errorFrom(
      "routes:",
      "  - repository: a/b",
      "    script: run.sh",
      "    queue: fast",
    );

    expect((error as Error).message).toMatch(
      /^routes\.yaml: routes\[0\]\.queue "fast" is not valid: expected one of name, repository/,
    );
  });

  it("needs exactly one of script and sbatch", () => {
    const both = errorFrom(
      "routes:",
      "  - repository: a/b",
      "    script: run.sh",
      "    sbatch: { script: job.slurm }",
    );
    const neither = errorFrom("routes:", "  - repository: a/b");

    expect((both as Error).message).toMatch(/exactly one of 'script' or/);
    expect((neither as Error).message).toMatch(/exactly one of 'script' or/);
  });

  it("needs a user when USERID gives none", () => {
    const text = "routes:\n  - repository: a/b\n    script: run.sh";

    expect(() =>
      parseRoutes(text, "routes.yaml", { host: "login.example.org" }),
    ).toThrow(
      "routes.yaml: routes[0].user undefined is not valid: expected a cluster user name (or set USERID)",
    );
  });

  it("refuses a port that is not a TCP port", () => {
    const error = errorFrom(
      "routes:",
      "  - repository: a/b",
      "    port: 70000",
      "    script: run.sh",
    );

    expect((error as Error).message).toBe(
      "routes.yaml: routes[0].port 70000 is not valid: expected a TCP port, 1-65535",
    );
  });

  it.each([
    ["starts with '-'", "--wrap=reboot"],
    ["contains a space", "gpu --wrap=x"],
    ["contains a quote", "gpu'"],
    ["contains a double quote", 'gpu"'],
  ])("refuses an sbatch option value that %s", (_why, value) => {
    const error = errorFrom(
      "routes:",
      "  - repository: a/b",
      `    sbatch: { script: job.slurm, partition: ${JSON.stringify(value)} }`,
    );

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `routes.yaml: routes[0].sbatch.partition ${JSON.stringify(value)} is not valid: expected a value of letters, digits and _.:%@+/=,- not starting with '-'`,
    );
  });

  it("refuses an sbatch option the relay does not pass on", () => {
    const error = errorFrom(
      "routes:",
      "  - repository: a/b",
      "    sbatch: { script: job.slurm, wrap: reboot }",
    );

    expect((error as Error).message).toMatch(
      /^routes\.yaml: routes\[0\]\.sbatch\.wrap "reboot" is not valid: expected one of script, job-name/,
    );
  });

  it("reads the attributes a route allows, and refuses a name no message may carry", () => {
    const [route] = routesFrom(
      "routes:",
      "  - repository: a/b",
      "    script: run.sh",
      "    attributes: [PARTITION, NODES]",
    );
    const error = errorFrom(
      "routes:",
      "  - repository: a/b",
      "    script: run.sh",
      "    attributes: [PARTITION, LD_PRELOAD]",
    );

    expect(route?.attributes).toEqual(["PARTITION", "NODES"]);
    expect((error as Error).message).toMatch(
      /^routes\.yaml: routes\[0\]\.attributes "LD_PRELOAD" is not valid: expected custom attribute names a message may carry \(names starting with 'LD_' are reserved\)/,
    );
  });

  it("refuses a script path that would read as an option", () => {
    const error = errorFrom("routes:", "  - repository: a/b", "    script: -c");

    expect((error as Error).message).toMatch(
      /^routes\.yaml: routes\[0\]\.script "-c" is not valid: expected a path on the cluster/,
    );
  });
});

describe("remotePath", () => {
  it("takes absolute paths and paths relative to the home directory", () => {
    expect(remotePath("/home/mst3k/run.sh", "RIVANNA_SCRIPT")).toBe(
      "/home/mst3k/run.sh",
    );
    expect(remotePath("bin/run.sh", "RIVANNA_SCRIPT")).toBe("bin/run.sh");
  });

  it("refuses '~', which no shell would expand in a quoted argument", () => {
    expect(() => remotePath("~/run.sh", "RIVANNA_SCRIPT")).toThrow(
      /^RIVANNA_SCRIPT "~\/run.sh" is not valid: expected a path on the cluster, absolute or relative to the home directory/,
    );
  });
});
