import { parseQueueUrl } from "../../protocol/queue-url.js";

describe("parseQueueUrl", () => {
  it("takes the region from a standard URL", () => {
    expect(
      parseQueueUrl("https://sqs.eu-west-2.amazonaws.com/123456789012/jobs"),
    ).toEqual({
      url: "https://sqs.eu-west-2.amazonaws.com/123456789012/jobs",
      region: "eu-west-2",
      accountId: "123456789012",
      name: "jobs",
      fifo: false,
      aws: true,
      endpointInUrl: false,
    });
  });

  it.each([
    [
      "https://vpce-0a1b2c3d4e5f-abcd1234.sqs.us-east-1.vpce.amazonaws.com/123456789012/jobs",
      "us-east-1",
      true,
    ],
    [
      "https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/jobs",
      "us-gov-west-1",
      true,
    ],
    [
      "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/jobs",
      "cn-north-1",
      false,
    ],
    [
      "https://sqs.eusc-de-east-1.amazonaws.eu/123456789012/jobs",
      "eusc-de-east-1",
      false,
    ],
  ])("takes the region from %s", (url, region, endpointInUrl) => {
    expect(parseQueueUrl(url)).toMatchObject({
      region,
      aws: true,
      endpointInUrl,
    });
  });

  it("reads the legacy form as us-east-1 and detects FIFO queues", () => {
    const address = parseQueueUrl(
      "https://queue.amazonaws.com/123456789012/jobs.fifo",
    );

    expect(address.region).toBe("us-east-1");
    expect(address.fifo).toBe(true);
  });

  it("accepts a custom endpoint without a region", () => {
    const address = parseQueueUrl("http://127.0.0.1:9324/000000000000/jobs");

    expect(address.region).toBeUndefined();
    expect(address.aws).toBe(false);
  });

  it.each([
    ["htp://x", /the scheme 'htp:' is not http or https/],
    ["not a url", /it is not a URL/],
    [
      "https://sqs.us-east-1.amazonaws.com/jobs",
      /the path is not \/ACCOUNT\/NAME/,
    ],
    [
      "https://sqs.us-east-1.amazonaws.com/12/jobs",
      /the account '12' is not 12 digits/,
    ],
    ["https://sqs.us-east-1.amazonaws.com/123456789012/a b", /queue name/],
    [
      "http://sqs.us-east-1.amazonaws.com/123456789012/jobs",
      /AWS queue URLs use https/,
    ],
    ["https://s3.amazonaws.com/123456789012/jobs", /is not an SQS endpoint/],
  ])("refuses %s, quoting it and the expected forms", (url, why) => {
    expect(() => parseQueueUrl(url)).toThrow(why);
    expect(() => parseQueueUrl(url)).toThrow(`queue URL '${url}'`);
    expect(() => parseQueueUrl(url)).toThrow(/expected https:\/\/sqs\.REGION/);
  });
});
