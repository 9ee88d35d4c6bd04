import { readInputs } from "../../action/inputs.js";
import { resolveTarget } from "../../action/target.js";

const standard = "https://sqs.eu-west-1.amazonaws.com/123456789012/builds";
const fifo = "https://sqs.eu-west-1.amazonaws.com/123456789012/builds.fifo";

function inputs(values: Record<string, string>): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      `INPUT_${name.toUpperCase()}`,
      value,
    ]),
  );
}

describe("reading the action's inputs", () => {
  it("reads hyphenated names the way the runner passes them", async () => {
    const read = await readInputs({
      "INPUT_QUEUE-URL": ` ${fifo} `,
      "INPUT_MESSAGE-GROUP-ID": "cluster-a",
      "INPUT_DRY-RUN": "True",
      INPUT_ATTRIBUTES: "A=1",
    });

    expect(read.queue).toMatchObject({ name: "builds.fifo", fifo: true });
    expect(read.messageGroupId).toBe("cluster-a");
    expect(read.dryRun).toBe(true);
    expect(read.attributes).toEqual({ A: "1" });
    expect(read.version).toBeUndefined();
  });

  it("treats an empty input as not given", async () => {
    const read = await readInputs(
      inputs({ "queue-url": standard, version: "", "delay-seconds": "" }),
    );

    expect(read.version).toBeUndefined();
    expect(read.delaySeconds).toBeUndefined();
  });

  it("reads attributes given as YAML indented as a whole", async () => {
    const read = await readInputs(
      inputs({
        "queue-url": standard,
        attributes: "  PARTITION: gpu\n  NODES: 2\n",
      }),
    );

    expect(read.attributes).toEqual({ PARTITION: "gpu", NODES: "2" });
  });

  it("treats blank attributes as none", async () => {
    const read = await readInputs(
      inputs({ "queue-url": standard, attributes: " \n  \n" }),
    );

    expect(read.attributes).toEqual({});
  });

  it("accepts a delay for a standard queue", async () => {
    const read = await readInputs(
      inputs({ "queue-url": standard, "delay-seconds": "900" }),
    );

    expect(read.delaySeconds).toBe(900);
  });

  it("refuses a negative delay, quoting it", async () => {
    await expect(
      readInputs(inputs({ "queue-url": standard, "delay-seconds": "-1" })),
    ).rejects.toThrow("delay-seconds: '-1' is not valid");
  });

  it("refuses an endpoint with a path", async () => {
    await expect(
      readInputs(
        inputs({ "queue-url": standard, endpoint: "http://127.0.0.1:9324/q" }),
      ),
    ).rejects.toThrow(
      "endpoint: 'http://127.0.0.1:9324/q' is not an endpoint URL (expected http(s)://HOST[:PORT] with no path",
    );
  });

  it("refuses a message group id SQS would refuse", async () => {
    await expect(
      readInputs(inputs({ "queue-url": fifo, "message-group-id": "a b" })),
    ).rejects.toThrow(
      "message-group-id: 'a b' is not valid (expected 1-128 letters, digits or ASCII punctuation)",
    );
  });
});

describe("working out where to send", () => {
  async function target(values: Record<string, string>, env = {}) {
    const read = await readInputs(inputs(values));
    return resolveTarget(read, env);
  }

  it("takes the region from a standard queue URL", async () => {
    expect(await target({ "queue-url": standard })).toEqual({
      queueUrl: standard,
      endpoint: "https://sqs.eu-west-1.amazonaws.com",
      region: "eu-west-1",
    });
  });

  it("sends a legacy queue URL to us-east-1", async () => {
    const legacy = "https://queue.amazonaws.com/123456789012/builds";

    expect(await target({ "queue-url": legacy })).toEqual({
      queueUrl: legacy,
      endpoint: "https://sqs.us-east-1.amazonaws.com",
      region: "us-east-1",
    });
  });

  it("sends a VPC endpoint's queue URL to that endpoint", async () => {
    const vpce =
      "https://vpce-0a1b2c3d-abcd.sqs.us-east-1.vpce.amazonaws.com/123456789012/builds";

    expect(await target({ "queue-url": vpce })).toEqual({
      queueUrl: vpce,
      endpoint: "https://vpce-0a1b2c3d-abcd.sqs.us-east-1.vpce.amazonaws.com",
      region: "us-east-1",
    });
  });

  it("sends a sovereign-cloud queue URL to its own domain", async () => {
    const eusc = "https://sqs.eusc-de-east-1.amazonaws.eu/123456789012/builds";

    expect(await target({ "queue-url": eusc })).toMatchObject({
      endpoint: "https://sqs.eusc-de-east-1.amazonaws.eu",
      region: "eusc-de-east-1",
    });
  });

  it("lets aws-region and endpoint override the URL", async () => {
    const result = await target({
      "queue-url": standard,
      "aws-region": "eu-central-1",
      endpoint: "https://vpce-1.sqs.eu-central-1.vpce.amazonaws.com/",
    });

    expect(result).toMatchObject({
      endpoint: "https://vpce-1.sqs.eu-central-1.vpce.amazonaws.com",
      region: "eu-central-1",
    });
  });

  it("sends a custom server's URL to that server, in AWS_REGION", async () => {
    const custom = "http://127.0.0.1:9324/000000000000/builds";

    const result = await target(
      { "queue-url": custom },
      {
        AWS_REGION: "ap-south-1",
      },
    );

    expect(result).toEqual({
      queueUrl: custom,
      endpoint: "http://127.0.0.1:9324",
      region: "ap-south-1",
    });
  });

  it("names AWS_REGION, not the input, when its value is not a region", async () => {
    await expect(
      target(
        { "queue-url": "http://127.0.0.1:9324/000000000000/builds" },
        { AWS_REGION: "US East" },
      ),
    ).rejects.toThrow(
      "AWS_REGION: 'US East' is not an AWS region (expected a name such as us-east-1)",
    );
  });

  it("asks for aws-region when nothing names one", async () => {
    await expect(
      target({ "queue-url": "http://127.0.0.1:9324/000000000000/builds" }),
    ).rejects.toThrow(
      "aws-region: is needed: the queue URL 'http://127.0.0.1:9324/000000000000/builds' names no region",
    );
  });
});
