/**
 * The relay's configuration, read from the environment. The names of the
 * original container stay (QURL, USERID, RIVANNA_SCRIPT, GIT_REPO,
 * RIVANNA_HOST); the rest are new. Every value is checked before the relay
 * starts, and a bad one stops it with the setting, the value and what was
 * expected.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

import {
  isAwsRegion,
  parseQueueUrl,
  QueueUrlError,
} from "../protocol/queue-url.js";
import { ConfigError, MissingSettingError } from "./config-error.js";
import { parseKnownHosts, type HostKeyPolicy } from "./host-key.js";
import {
  attributeNames,
  clusterHost,
  clusterUser,
  parseRoutes,
  remotePath,
  repositoryGlobs,
  type Route,
} from "./routes.js";

/** Everything the relay needs to run. */
export interface RelayConfig {
  queueUrl: string;
  region: string;
  /** Another SQS endpoint (AWS_ENDPOINT_URL_SQS), undefined for AWS. */
  endpoint: string | undefined;
  routes: Route[];
  /** The repository legacy messages are for (GIT_REPO). */
  legacyRepository: string | undefined;
  privateKeyPath: string;
  privateKey: Buffer;
  hostKey: HostKeyPolicy;
  /** With a secret, unsigned or badly signed messages are refused. */
  signingSecret: string | undefined;
  maxMessageAgeSeconds: number;
  concurrency: number;
  waitTimeSeconds: number;
  visibilityTimeoutSeconds: number;
  retryDelaySeconds: number;
  jobTimeoutSeconds: number;
  /** How long in-flight work may take to finish after SIGTERM. */
  shutdownGraceSeconds: number;
  /** The submission ledger's directory on the cluster, relative to home. */
  ledgerDir: string;
  httpPort: number | undefined;
  /** Where the HTTP endpoint listens; all interfaces, for containers. */
  httpHost: string;
  logLevel: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The original container's cluster login host. */
export const DEFAULT_HOST = "rivanna.hpc.virginia.edu";

// SQS keeps a message at most 14 days; a signed message must stay valid as
// long as it can wait in the queue while the cluster is down.
const FOURTEEN_DAYS = 14 * 24 * 3600;

/**
 * Reads and checks the configuration.
 * @param env - the environment (process.env)
 * @throws ConfigError for the first bad setting
 */
export function loadConfig(env: Env): RelayConfig {
  const queue = queueSettings(env);
  const privateKeyPath = keyPath(env);
  // At least 1 s: with 0, an empty queue would be polled in a tight loop.
  const waitTimeSeconds = integer(env, "RELAY_WAIT_SECONDS", 20, 1, 20);

  return {
    ...queue,
    routes: routes(env),
    legacyRepository: repository(env.GIT_REPO),
    privateKeyPath,
    privateKey: readSecretFile(privateKeyPath, "SSH_KEY_FILE"),
    hostKey: hostKeyPolicy(env),
    signingSecret: signingSecret(env),
    maxMessageAgeSeconds: integer(
      env,
      "RELAY_MAX_MESSAGE_AGE_SECONDS",
      FOURTEEN_DAYS + 3600,
      60,
      30 * 24 * 3600,
    ),
    concurrency: integer(env, "RELAY_CONCURRENCY", 4, 1, 64),
    waitTimeSeconds,
    visibilityTimeoutSeconds: integer(
      env,
      "RELAY_VISIBILITY_TIMEOUT_SECONDS",
      120,
      10,
      43_200,
    ),
    retryDelaySeconds: integer(env, "RELAY_RETRY_DELAY_SECONDS", 30, 1, 43_200),
    jobTimeoutSeconds: integer(env, "RELAY_JOB_TIMEOUT_SECONDS", 60, 1, 3600),
    shutdownGraceSeconds: shutdownGrace(env, waitTimeSeconds),
    ledgerDir: remotePath(
      env.RELAY_LEDGER_DIR || ".bii-relay/submitted",
      "RELAY_LEDGER_DIR",
    ),
    httpPort: optionalInteger(env, "RELAY_HTTP_PORT", 0, 65535),
    httpHost: env.RELAY_HTTP_HOST || "0.0.0.0",
    logLevel: logLevel(env.LOG_LEVEL),
  };
}

function queueSettings(
  env: Env,
): Pick<RelayConfig, "queueUrl" | "region" | "endpoint"> {
  const url = env.QURL;
  if (url === undefined || url === "") {
    throw new MissingSettingError(
      "QURL",
      "the SQS queue URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME",
    );
  }

  let address;
  try {
    address = parseQueueUrl(url);
  } catch (error) {
    if (error instanceof QueueUrlError) {
      throw new ConfigError(
        "QURL",
        url,
        `an SQS queue URL such as https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (${error.why})`,
      );
    }
    throw error;
  }

  // The queue's own region wins: signing for another one would fail.
  const [regionSetting, fromEnv] = firstSet(env, [
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
  ]);
  const region = address.region ?? fromEnv;
  if (region === undefined || !isAwsRegion(region)) {
    throw new ConfigError(
      regionSetting,
      region,
      `an AWS region such as us-east-1${region === undefined ? " (the queue URL names none)" : ""}`,
    );
  }
  const [endpointSetting, endpoint] = firstSet(env, [
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL",
  ]);
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(endpoint)) {
    throw new ConfigError(
      endpointSetting,
      endpoint,
      "an http(s)://HOST[:PORT] endpoint",
    );
  }
  return { queueUrl: address.url, region, endpoint };
}

// The first of several settings for one value that is set and not empty, as
// the AWS SDK reads them; the first name when none is.
function firstSet(
  env: Env,
  names: [string, ...string[]],
): [string, string | undefined] {
  const name = names.find((n) => env[n] !== undefined && env[n] !== "");
  return name === undefined ? [names[0], undefined] : [name, env[name]];
}

function routes(env: Env): Route[] {
  const port = optionalInteger(env, "RIVANNA_PORT", 1, 65535) ?? 22;
  const defaults = {
    host: clusterHost(env.RIVANNA_HOST || DEFAULT_HOST, "RIVANNA_HOST"),
    port,
    ...(env.USERID ? { user: clusterUser(env.USERID, "USERID") } : {}),
  };

  const file = env.ROUTES_FILE;
  if (file !== undefined && file !== "") {
    if (env.RIVANNA_SCRIPT) {
      throw new ConfigError(
        "RIVANNA_SCRIPT",
        env.RIVANNA_SCRIPT,
        "to be unset when ROUTES_FILE is set (routes name their scripts)",
      );
    }
    return parseRoutes(readText(file, "ROUTES_FILE"), file, defaults);
  }

  return [singleRoute(env, defaults)];
}

// Without a routes file the relay behaves as the original container did:
// one repository (or ALLOWED_REPOS), one script, one account.
function singleRoute(
  env: Env,
  defaults: { host: string; port: number; user?: string },
): Route {
  const script = env.RIVANNA_SCRIPT;
  if (script === undefined || script === "") {
    throw new MissingSettingError(
      "RIVANNA_SCRIPT",
      "the script on the cluster that calls sbatch (or set ROUTES_FILE)",
    );
  }
  if (defaults.user === undefined) {
    throw new MissingSettingError(
      "USERID",
      "the cluster user the relay logs in as",
    );
  }
  const allowed = env.ALLOWED_REPOS || env.GIT_REPO;
  if (allowed === undefined || allowed === "") {
    throw new MissingSettingError(
      "GIT_REPO",
      "the repository allowed to start jobs, owner/name (or ALLOWED_REPOS, comma-separated globs)",
    );
  }

  const setting = env.ALLOWED_REPOS ? "ALLOWED_REPOS" : "GIT_REPO";
  return {
    name: "default",
    repositories: repositoryGlobs(allowed, setting),
    events: undefined,
    ref: undefined,
    target: { host: defaults.host, port: defaults.port, user: defaults.user },
    action: { kind: "script", script: remotePath(script, "RIVANNA_SCRIPT") },
    ...(env.ALLOWED_ATTRIBUTES
      ? {
          attributes: attributeNames(
            env.ALLOWED_ATTRIBUTES,
            "ALLOWED_ATTRIBUTES",
          ),
        }
      : {}),
  };
}

function repository(value: string | undefined): string | undefined {
  // GIT_REPO may be a glob for the default route; legacy messages need one
  // plain repository to be attributed to.
  return value !== undefined && /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(value)
    ? value
    : undefined;
}

// The home directory from the given environment, so that the defaults
// follow the same settings as everything else.
function home(env: Env): string {
  return env.HOME || homedir();
}

function keyPath(env: Env): string {
  const given = env.SSH_KEY_FILE;
  if (given !== undefined && given !== "") {
    return given;
  }
  const candidates = [
    join(home(env), ".ssh", "id_rsa"),
    "/run/secrets/id_rsa",
    join(home(env), ".ssh", "id_ed25519"),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new MissingSettingError(
      "SSH_KEY_FILE",
      `a private key file; none found at ${candidates.join(", ")}`,
    );
  }
  return found;
}

function hostKeyPolicy(env: Env): HostKeyPolicy {
  const pinned = env.SSH_HOST_KEY_FINGERPRINT;
  if (pinned !== undefined && pinned !== "") {
    if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(pinned)) {
      throw new ConfigError(
        "SSH_HOST_KEY_FINGERPRINT",
        pinned,
        "an OpenSSH fingerprint such as SHA256:... (43 base64 characters; 'bii-relay check' prints it)",
      );
    }
    return { kind: "fingerprint", fingerprint: pinned };
  }

  // A file that is named must be there; the default places are only tried.
  const candidates = [
    join(home(env), ".ssh", "known_hosts"),
    "/run/secrets/known_hosts",
  ];
  const file = env.SSH_KNOWN_HOSTS || candidates.find((p) => existsSync(p));
  if (file === undefined) {
    throw new MissingSettingError(
      "SSH_KNOWN_HOSTS",
      `a known_hosts file (none at ${candidates.join(", ")}) or SSH_HOST_KEY_FINGERPRINT; host keys are always verified`,
    );
  }
  const entries = parseKnownHosts(readText(file, "SSH_KNOWN_HOSTS"));
  if (entries.length === 0) {
    throw new ConfigError(
      "SSH_KNOWN_HOSTS",
      file,
      "a known_hosts file with at least one host key line",
    );
  }
  return { kind: "known-hosts", entries, source: file };
}

function signingSecret(env: Env): string | undefined {
  const file = env.SIGNING_SECRET_FILE;
  const secret = file
    ? readSecretFile(file, "SIGNING_SECRET_FILE").toString("utf8").trim()
    : env.SIGNING_SECRET;
  // Set but empty is a mistake (an unset variable substituted, an empty
  // file), not a wish to accept unsigned messages.
  if (secret === undefined && !file) {
    return undefined;
  }
  if (secret === undefined || secret.length < 16) {
    // The value itself is never quoted: it is a secret.
    throw new ConfigError(
      file ? "SIGNING_SECRET_FILE" : "SIGNING_SECRET",
      "(hidden)",
      "a secret of at least 16 characters (leave the variable unset to run unsigned messages)",
    );
  }
  return secret;
}

// The drain lets the last long poll end, since one cut short can hide the
// messages it was handed for their whole visibility timeout: a grace
// shorter than the wait would cut it.
function shutdownGrace(env: Env, waitTimeSeconds: number): number {
  const grace = integer(env, "RELAY_SHUTDOWN_GRACE_SECONDS", 30, 1, 3600);
  if (grace < waitTimeSeconds) {
    throw new ConfigError(
      "RELAY_SHUTDOWN_GRACE_SECONDS",
      env.RELAY_SHUTDOWN_GRACE_SECONDS,
      `at least RELAY_WAIT_SECONDS (${waitTimeSeconds}), so that the last long poll can end before the relay exits`,
    );
  }
  return grace;
}

function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  return optionalInteger(env, name, min, max) ?? fallback;
}

function optionalInteger(
  env: Env,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") {
    return undefined;
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(name, raw, `a whole number from ${min} to ${max}`);
  }
  return value;
}

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"];

function logLevel(value: string | undefined): string {
  if (value === undefined || value === "") {
    return "info";
  }
  if (!LEVELS.includes(value)) {
    throw new ConfigError("LOG_LEVEL", value, `one of ${LEVELS.join(", ")}`);
  }
  return value;
}

function readText(path: string, setting: string): string {
  return readSecretFile(path, setting).toString("utf8");
}

// The path is quoted in errors, never the content: it may be a key.
function readSecretFile(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(
      setting,
      path,
      `a readable file (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`,
    );
  }
}
