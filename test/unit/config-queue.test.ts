import { ConfigError } from "../../relay/config-error.js";
import { loadConfig } from "../../relay/config.js";
import { configFiles, thrownBy } from "../support/config-files.js";

const files = configFiles();
afterAll(() => {
  files.remove();
});

describe("loadConfig, for the queue", () => {
  it("takes the region from the queue URL", () => {
    const config = loadConfig(files.env());

    expect(config.queueUrl).toBe(
      "https://sqs.eu-west-2.amazonaws.com/123456789012/jobs",
    );
    expect(config.region).toBe("eu-west-2");
    expect(config.endpoint).toBeUndefined();
  });

  it("keeps the region the queue URL names over AWS_REGION", () => {
    const config = loadConfig(files.env({ AWS_REGION: "us-west-1" }));

    expect(config.region).toBe("eu-west-2");
  });

  it("treats an empty AWS_REGION as unset", () => {
    const config = loadConfig(files.env({ AWS_REGION: "" }));

    expect(config.region).toBe("eu-west-2");
  });

  it("needs a region for a custom endpoint's queue URL, which names none", () => {
    const env = files.env({ QURL: "http://127.0.0.1:9324/000000000000/jobs" });

    const error = thrownBy(() => loadConfig(env));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      "AWS_REGION undefined is not valid: expected an AWS region such as us-east-1 (the queue URL names none)",
    );
  });

  it("names AWS_DEFAULT_REGION when that is where a bad region came from", () => {
    const env = files.env({
      QURL: "http://127.0.0.1:9324/000000000000/jobs",
      AWS_DEFAULT_REGION: "Frankfurt",
    });

    const error = thrownBy(() => loadConfig(env));

    expect(error.message).toBe(
      'AWS_DEFAULT_REGION "Frankfurt" is not valid: expected an AWS region such as us-east-1',
    );
  });

  it("refuses a QURL that is not a queue URL, quoting it", () => {
    const env = files.env({ QURL: "htp://x" });

    const error = thrownBy(() => loadConfig(env));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^QURL "htp:\/\/x" is not valid: expected /);
    expect(error.message).toContain("https://sqs.REGION.amazonaws.com");
  });

  it("says QURL is not set and what it should be", () => {
    const error = thrownBy(() => loadConfig(files.env({ QURL: "" })));

    expect(error.message).toBe(
      "QURL is not set: expected the SQS queue URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME",
    );
  });

  it("uses another SQS endpoint from AWS_ENDPOINT_URL_SQS", () => {
    const env = files.env({
      QURL: "http://127.0.0.1:9324/000000000000/jobs",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:9324",
    });

    expect(loadConfig(env).endpoint).toBe("http://127.0.0.1:9324");
  });

  it("treats an empty AWS_ENDPOINT_URL_SQS as unset", () => {
    const config = loadConfig(files.env({ AWS_ENDPOINT_URL_SQS: "" }));

    expect(config.endpoint).toBeUndefined();
  });

  it("names AWS_ENDPOINT_URL when that is where a bad endpoint came from", () => {
    const env = files.env({ AWS_ENDPOINT_URL: "127.0.0.1:9324" });

    const error = thrownBy(() => loadConfig(env));

    expect(error.message).toBe(
      'AWS_ENDPOINT_URL "127.0.0.1:9324" is not valid: expected an http(s)://HOST[:PORT] endpoint',
    );
  });
});
