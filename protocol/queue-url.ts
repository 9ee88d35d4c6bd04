/** What a queue URL says about the queue. */
export interface QueueAddress {
  /** The URL as given, without trailing slashes. */
  url: string;
  /** The region named by an AWS URL; undefined for legacy or custom URLs. */
  region: string | undefined;
  /** The AWS account id, twelve digits. */
  accountId: string;
  /** The queue name. */
  name: string;
  /** Whether the name ends in `.fifo`. */
  fifo: boolean;
  /** Whether the URL points at AWS rather than another SQS-compatible server. */
  aws: boolean;
  /**
   * Whether the URL's host is itself the API endpoint to call (a VPC
   * endpoint, a FIPS host), rather than the region's standard one.
   */
  endpointInUrl: boolean;
}

/** A queue URL that is not one. */
export class QueueUrlError extends Error {
  /** What is wrong with the URL, without the URL or the expected forms. */
  readonly why: string;

  constructor(url: string, why: string) {
    super(
      `queue URL '${url}' is not an SQS queue URL: ${why} (expected https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, https://queue.amazonaws.com/ACCOUNT/NAME, or a custom endpoint's http(s)://HOST/ACCOUNT/NAME)`,
    );
    this.name = "QueueUrlError";
    this.why = why;
  }
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
const ACCOUNT = /^[0-9]{12}$/;
// A region: us-east-1, cn-north-1, us-gov-west-1, eusc-de-east-1, ...
const REGION = "[a-z]{2,4}(?:-[a-z]+)+-\\d+";
const REGION_NAME = new RegExp(`^${REGION}$`);
const DOMAIN = "amazonaws\\.(?:com|com\\.cn|eu)";
const AWS_DOMAIN = new RegExp(`\\.(${DOMAIN})$`);
const STANDARD_HOST = new RegExp(`^sqs\\.(${REGION})\\.${DOMAIN}$`);
const LEGACY_HOST = new RegExp(`^(?:(${REGION})\\.)?queue\\.amazonaws\\.com$`);
// Hosts that are endpoints of their own: an interface VPC endpoint's DNS
// name, and the FIPS endpoint.
const OWN_ENDPOINT_HOST = new RegExp(
  `^(?:vpce-[a-z0-9-]+\\.sqs\\.(${REGION})\\.vpce|sqs-fips\\.(${REGION}))\\.amazonaws\\.(?:com|com\\.cn)$`,
);
const ANY_REGION_HOST = new RegExp(`^sqs\\.(${REGION})\\.`);

/** Whether `name` has the form of an AWS region (`us-east-1`, ...). */
export function isAwsRegion(name: string): boolean {
  return REGION_NAME.test(name);
}

/**
 * The SQS API endpoint for a queue: the URL's own origin for a custom
 * server, a VPC endpoint or a FIPS host, otherwise the region's standard
 * endpoint in the URL's AWS partition.
 */
export function queueEndpoint(address: QueueAddress, region: string): string {
  const url = new URL(address.url);
  if (address.endpointInUrl) {
    return url.origin;
  }

  const domain = AWS_DOMAIN.exec(url.hostname)?.[1] ?? "amazonaws.com";
  return `https://sqs.${region}.${domain}`;
}

/**
 * Parses a queue URL in the standard, legacy or custom-endpoint form. The
 * region comes from the URL where it names one (SDK v3 does not derive it).
 * @throws QueueUrlError saying what is wrong
 */
export function parseQueueUrl(input: string): QueueAddress {
  const url = input.trim().replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueUrlError(input, "it is not a URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new QueueUrlError(
      input,
      `the scheme '${parsed.protocol}' is not http or https`,
    );
  }

  const segments = parsed.pathname.split("/").filter((s) => s !== "");
  const [accountId, name] = segments;
  if (segments.length !== 2 || accountId === undefined || name === undefined) {
    throw new QueueUrlError(input, "the path is not /ACCOUNT/NAME");
  }
  if (!ACCOUNT.test(accountId)) {
    throw new QueueUrlError(
      input,
      `the account '${accountId}' is not 12 digits`,
    );
  }
  if (!NAME.test(name) && !FIFO_NAME.test(name)) {
    throw new QueueUrlError(
      input,
      `the queue name '${name}' is not 1-80 letters, digits, hyphens or underscores (a FIFO name ends in .fifo)`,
    );
  }

  return {
    url,
    accountId,
    name,
    fifo: name.endsWith(".fifo"),
    ...host(parsed, input),
  };
}

function host(
  parsed: URL,
  input: string,
): { region: string | undefined; aws: boolean; endpointInUrl: boolean } {
  const hostname = parsed.hostname.toLowerCase();
  const aws = AWS_DOMAIN.test(hostname);

  if (!aws) {
    const region = ANY_REGION_HOST.exec(hostname)?.[1];
    return { region, aws, endpointInUrl: true };
  }
  if (parsed.protocol !== "https:") {
    throw new QueueUrlError(input, "AWS queue URLs use https");
  }

  const region = STANDARD_HOST.exec(hostname)?.[1];
  if (region !== undefined) {
    return { region, aws, endpointInUrl: false };
  }
  const legacy = LEGACY_HOST.exec(hostname);
  if (legacy !== null) {
    // The bare legacy host is us-east-1.
    return { region: legacy[1] ?? "us-east-1", aws, endpointInUrl: false };
  }
  const own = OWN_ENDPOINT_HOST.exec(hostname);
  if (own !== null) {
    return { region: own[1] ?? own[2], aws, endpointInUrl: true };
  }
  throw new QueueUrlError(
    input,
    `the host '${hostname}' is not an SQS endpoint`,
  );
}
