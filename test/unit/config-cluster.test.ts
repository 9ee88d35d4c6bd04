import { ConfigError } from "../../relay/config-error.js";
import { DEFAULT_HOST, loadConfig } from "../../relay/config.js";
import { configFiles, thrownBy } from "../support/config-files.js";

const files = configFiles();
afterAll(() => {
  files.remove();
});

describe("loadConfig, without a routes file", () => {
  it("makes one route to the original cluster host, port 22, for GIT_REPO", () => {
    const config = loadConfig(files.env());

    expect(DEFAULT_HOST).toBe("rivanna.hpc.virginia.edu");
    expect(config.routes).toEqual([
      {
        name: "default",
        repositories: ["uva-bii/pipeline"],
        events: undefined,
        ref: undefined,
        target: { host: DEFAULT_HOST, port: 22, user: "bii" },
        action: { kind: "script", script: "/home/bii/run.sh" },
      },
    ]);
    expect(config.legacyRepository).toBe("uva-bii/pipeline");
  });

  it("uses RIVANNA_HOST and RIVANNA_PORT", () => {
    const env = files.env({ RIVANNA_HOST: "login.example.org" });
    env.RIVANNA_PORT = "2222";

    const [route] = loadConfig(env).routes;

    expect(route?.target).toEqual({
      host: "login.example.org",
      port: 2222,
      user: "bii",
    });
  });

  it("allows the globs in ALLOWED_REPOS but attributes legacy messages to no glob", () => {
    const env = files.env({
      ALLOWED_REPOS: "uva-bii/*, other/tool",
      GIT_REPO: "uva-bii/*",
    });

    const config = loadConfig(env);

    expect(config.routes[0]?.repositories).toEqual(["uva-bii/*", "other/tool"]);
    expect(config.legacyRepository).toBeUndefined();
  });

  it("refuses a RIVANNA_PORT that is not a port, quoting it", () => {
    const error = thrownBy(() =>
      loadConfig(files.env({ RIVANNA_PORT: "22x" })),
    );

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'RIVANNA_PORT "22x" is not valid: expected a whole number from 1 to 65535',
    );
  });

  it("refuses a RIVANNA_HOST that is not a host name", () => {
    const env = files.env({ RIVANNA_HOST: "-oProxyCommand=sh" });

    const error = thrownBy(() => loadConfig(env));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /^RIVANNA_HOST "-oProxyCommand=sh" is not valid: expected a host name/,
    );
  });

  it("refuses a USERID that is not a user name", () => {
    const error = thrownBy(() => loadConfig(files.env({ USERID: "bii me" })));

    expect(error.message).toMatch(
      /^USERID "bii me" is not valid: expected a cluster user name/,
    );
  });

  it.each([
    ["RIVANNA_SCRIPT", "the script on the cluster that calls sbatch"],
    ["USERID", "the cluster user the relay logs in as"],
    ["GIT_REPO", "the repository allowed to start jobs"],
  ])("says %s is not set and what it is for", (setting, expected) => {
    const error = thrownBy(() => loadConfig(files.env({ [setting]: "" })));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      `${setting} is not set: expected ${expected}`,
    );
  });

  it("refuses a RIVANNA_SCRIPT that would read as an option", () => {
    const error = thrownBy(() =>
      loadConfig(files.env({ RIVANNA_SCRIPT: "-c reboot" })),
    );

    expect(error.message).toMatch(
      /^RIVANNA_SCRIPT "-c reboot" is not valid: expected a path on the cluster/,
    );
  });
});

describe("loadConfig, with a routes file", () => {
  const routesFile = files.write(
    "routes.yaml",
    [
      "routes:",
      "  - repository: uva-bii/*",
      "    user: pipelines",
      "    sbatch: { script: jobs/build.slurm, partition: standard }",
    ].join("\n"),
  );

  it("reads the routes, taking the host from RIVANNA_HOST", () => {
    const env = files.env({
      ROUTES_FILE: routesFile,
      RIVANNA_SCRIPT: "",
      RIVANNA_HOST: "login.example.org",
    });

    const [route] = loadConfig(env).routes;

    expect(route?.repositories).toEqual(["uva-bii/*"]);
    expect(route?.target).toEqual({
      host: "login.example.org",
      port: 22,
      user: "pipelines",
    });
  });

  it("refuses RIVANNA_SCRIPT as well, since routes name their scripts", () => {
    const env = files.env({ ROUTES_FILE: routesFile });

    const error = thrownBy(() => loadConfig(env));

    expect(error.message).toBe(
      'RIVANNA_SCRIPT "/home/bii/run.sh" is not valid: expected to be unset when ROUTES_FILE is set (routes name their scripts)',
    );
  });

  it("names ROUTES_FILE and the path when the file cannot be read", () => {
    const env = files.env({
      ROUTES_FILE: "/nonexistent/routes.yaml",
      RIVANNA_SCRIPT: "",
    });

    const error = thrownBy(() => loadConfig(env));

    expect(error.message).toBe(
      'ROUTES_FILE "/nonexistent/routes.yaml" is not valid: expected a readable file (ENOENT)',
    );
  });
});
