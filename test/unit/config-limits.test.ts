import { ConfigError } from "../../relay/config-error.js";
import { loadConfig } from "../../relay/config.js";
import { configFiles, thrownBy } from "../support/config-files.js";

const files = configFiles();
afterAll(() => {
  files.remove();
});

const SQS_RETENTION_SECONDS = 14 * 24 * 3600;

describe("loadConfig, for limits and logging", () => {
  it("has defaults for every limit", () => {
    const config = loadConfig(files.env());

    expect(config).toMatchObject({
      concurrency: 4,
      waitTimeSeconds: 20,
      visibilityTimeoutSeconds: 120,
      retryDelaySeconds: 30,
      jobTimeoutSeconds: 60,
      httpPort: undefined,
      logLevel: "info",
    });
  });

  it("keeps signed messages valid for as long as SQS can hold them", () => {
    const config = loadConfig(files.env());

    expect(config.maxMessageAgeSeconds).toBeGreaterThan(SQS_RETENTION_SECONDS);
  });

  it("reads whole numbers within their range", () => {
    const env = files.env({ RELAY_CONCURRENCY: "8", RELAY_HTTP_PORT: "9090" });

    const config = loadConfig(env);

    expect(config.concurrency).toBe(8);
    expect(config.httpPort).toBe(9090);
  });

  it.each([
    ["RELAY_CONCURRENCY", "0", "from 1 to 64"],
    ["RELAY_WAIT_SECONDS", "21", "from 1 to 20"],
    ["RELAY_WAIT_SECONDS", "0", "from 1 to 20"],
    ["RELAY_JOB_TIMEOUT_SECONDS", "1.5", "from 1 to 3600"],
    ["RELAY_MAX_MESSAGE_AGE_SECONDS", "-60", "from 60 to 2592000"],
    ["RELAY_HTTP_PORT", "http", "from 0 to 65535"],
  ])("refuses %s=%s, quoting it and the range", (setting, value, range) => {
    const error = thrownBy(() => loadConfig(files.env({ [setting]: value })));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `${setting} "${value}" is not valid: expected a whole number ${range}`,
    );
  });

  it("refuses a shutdown grace shorter than the long poll it must let end", () => {
    const error = thrownBy(() =>
      loadConfig(
        files.env({
          RELAY_WAIT_SECONDS: "20",
          RELAY_SHUTDOWN_GRACE_SECONDS: "5",
        }),
      ),
    );

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'RELAY_SHUTDOWN_GRACE_SECONDS "5" is not valid: expected at least RELAY_WAIT_SECONDS (20), so that the last long poll can end before the relay exits',
    );
    expect(
      loadConfig(
        files.env({
          RELAY_WAIT_SECONDS: "5",
          RELAY_SHUTDOWN_GRACE_SECONDS: "5",
        }),
      ).shutdownGraceSeconds,
    ).toBe(5);
  });

  it("reads ALLOWED_ATTRIBUTES into the default route, refusing a reserved name", () => {
    const config = loadConfig(
      files.env({ ALLOWED_ATTRIBUTES: "PARTITION, NODES" }),
    );
    const error = thrownBy(() =>
      loadConfig(files.env({ ALLOWED_ATTRIBUTES: "PARTITION,PATH" })),
    );

    expect(config.routes[0]?.attributes).toEqual(["PARTITION", "NODES"]);
    expect(error.message).toMatch(
      /^ALLOWED_ATTRIBUTES "PATH" is not valid: expected custom attribute names a message may carry \(the name is reserved/,
    );
  });

  it("refuses a LOG_LEVEL pino does not know", () => {
    const error = thrownBy(() =>
      loadConfig(files.env({ LOG_LEVEL: "verbose" })),
    );

    expect(error.message).toBe(
      'LOG_LEVEL "verbose" is not valid: expected one of fatal, error, warn, info, debug, trace',
    );
  });
});

describe("loadConfig, for the signing secret", () => {
  it("leaves messages unsigned when no secret is set", () => {
    expect(loadConfig(files.env()).signingSecret).toBeUndefined();
  });

  it("reads SIGNING_SECRET_FILE without its trailing newline", () => {
    const path = files.write("secret", "a-secret-of-twenty-chars\n");

    const config = loadConfig(
      files.env({ SIGNING_SECRET_FILE: path, SIGNING_SECRET: "ignored" }),
    );

    expect(config.signingSecret).toBe("a-secret-of-twenty-chars");
  });

  it("refuses a short SIGNING_SECRET without quoting it", () => {
    const error = thrownBy(() =>
      loadConfig(files.env({ SIGNING_SECRET: "hunter2" })),
    );

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^SIGNING_SECRET .* at least 16 characters/);
    expect(error.message).not.toContain("hunter2");
  });

  it("refuses an empty SIGNING_SECRET_FILE rather than run unsigned", () => {
    const path = files.write("empty_secret", "\n");

    const error = thrownBy(() =>
      loadConfig(files.env({ SIGNING_SECRET_FILE: path })),
    );

    expect(error.message).toMatch(
      /^SIGNING_SECRET_FILE .* at least 16 characters/,
    );
  });
});
