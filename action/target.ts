import {
  isAwsRegion,
  queueEndpoint,
  type QueueAddress,
} from "../protocol/queue-url.js";
import { InputError } from "./input-error.js";

/** Where SendMessage goes and the region it is signed for. */
export interface QueueTarget {
  queueUrl: string;
  /** The SQS API endpoint, http(s)://HOST[:PORT]. */
  endpoint: string;
  region: string;
}

/** The inputs and environment that decide the target. */
export interface TargetSettings {
  queue: QueueAddress;
  region: string | undefined;
  endpoint: string | undefined;
}

/**
 * Works out the endpoint and region. The region comes from `aws-region`,
 * then the queue URL (SDK v3 does not read it from there), then AWS_REGION
 * and AWS_DEFAULT_REGION. The endpoint comes from `endpoint`, then the
 * region's SQS endpoint for an AWS URL, then the URL's own origin for any
 * other SQS-compatible server.
 * @throws InputError when no region can be found
 */
export function resolveTarget(
  settings: TargetSettings,
  env: NodeJS.ProcessEnv,
): QueueTarget {
  const { queue } = settings;
  const candidates: [string, string | undefined][] = [
    ["aws-region", settings.region],
    ["queue-url", queue.region],
    ["AWS_REGION", nonEmpty(env.AWS_REGION)],
    ["AWS_DEFAULT_REGION", nonEmpty(env.AWS_DEFAULT_REGION)],
  ];
  const found = candidates.find(
    (c): c is [string, string] => c[1] !== undefined,
  );
  if (found === undefined) {
    throw new InputError(
      "aws-region",
      `is needed: the queue URL '${queue.url}' names no region and neither AWS_REGION nor AWS_DEFAULT_REGION is set (expected a region such as us-east-1)`,
    );
  }
  const [source, region] = found;
  if (!isAwsRegion(region)) {
    // Named after where the value came from, which may be the runner's
    // environment rather than an input.
    throw new InputError(
      source,
      `'${region}' is not an AWS region (expected a name such as us-east-1)`,
    );
  }

  return {
    queueUrl: queue.url,
    endpoint: settings.endpoint ?? queueEndpoint(queue, region),
    region,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
