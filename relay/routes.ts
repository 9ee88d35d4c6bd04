/**
 * Routes decide, for each message, which cluster account runs what. A route
 * matches on repository (glob), event and ref (glob), and names either a
 * `script` that calls sbatch itself (the original behaviour) or an `sbatch`
 * job the relay submits with `sbatch --parsable`.
 */
import { createRequire } from "node:module";

import { customNameProblem } from "../protocol/message.js";
import { ConfigError } from "./config-error.js";
import { globMatches } from "./glob.js";

/** Where a route's command runs. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
}

/** `user@host:port`: how logs, metrics and the SSH pool name a target. */
export function targetName(target: SshTarget): string {
  return `${target.user}@${target.host}:${String(target.port)}`;
}

/** Run a script on the login node; it calls sbatch and prints the job id. */
export interface ScriptAction {
  kind: "script";
  script: string;
}

/** The relay runs `sbatch --parsable` with these options. */
export interface SbatchAction {
  kind: "sbatch";
  script: string;
  jobName: string | undefined;
  partition: string | undefined;
  account: string | undefined;
  time: string | undefined;
}

/** One route: what it matches and what it runs where. */
export interface Route {
  name: string;
  /** Repository globs, matched case-insensitively. */
  repositories: readonly string[];
  events: readonly string[] | undefined;
  ref: string | undefined;
  target: SshTarget;
  action: ScriptAction | SbatchAction;
  /**
   * The custom attributes a message may carry, by exact name; a message
   * with any other is refused. Unset: any the contract allows.
   */
  attributes?: readonly string[];
}

/** What a message offers to be routed. */
export interface RouteKey {
  repository: string;
  event: string;
  ref: string;
}

/** The first route that matches, or undefined. */
export function findRoute(
  routes: readonly Route[],
  key: RouteKey,
): Route | undefined {
  return routes.find(
    (route) =>
      route.repositories.some((r) => globMatches(r, key.repository, true)) &&
      (route.events === undefined || route.events.includes(key.event)) &&
      (route.ref === undefined || globMatches(route.ref, key.ref)),
  );
}

const KEYS = new Set([
  "name",
  "repository",
  "events",
  "ref",
  "host",
  "port",
  "user",
  "script",
  "sbatch",
  "attributes",
]);
const SBATCH_KEYS = new Set([
  "script",
  "job-name",
  "partition",
  "account",
  "time",
]);

// Values handed to sbatch as options; a leading '-' would become a flag.
const OPTION_VALUE = /^[A-Za-z0-9_.:%@+/=,-]{1,256}$/;

/**
 * Parses a routes file.
 * @param text - the YAML text
 * @param source - the file name, for error messages
 * @param defaults - the host, port and user from the environment
 * @throws ConfigError naming the route, the field and the bad value
 */
export function parseRoutes(
  text: string,
  source: string,
  defaults: Partial<SshTarget>,
): Route[] {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ConfigError(source, "(file)", `valid YAML (${why})`);
  }

  const list = (document as { routes?: unknown } | null)?.routes;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(
      `${source}: routes`,
      list,
      "a non-empty list of routes under the key 'routes'",
    );
  }
  return list.map((entry, i) =>
    parseRoute(entry, `${source}: routes[${i}]`, defaults),
  );
}

function parseRoute(
  entry: unknown,
  where: string,
  defaults: Partial<SshTarget>,
): Route {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new ConfigError(
      where,
      entry,
      "a mapping with repository and script or sbatch",
    );
  }
  const raw = entry as Record<string, unknown>;
  const unknown = Object.keys(raw).find((k) => !KEYS.has(k));
  if (unknown !== undefined) {
    throw new ConfigError(
      `${where}.${unknown}`,
      raw[unknown],
      `one of ${[...KEYS].join(", ")}`,
    );
  }

  const repositories = repositoryGlobs(raw.repository, `${where}.repository`);

  return {
    name: text(raw, "name", where, false) || repositories.join(","),
    repositories,
    events: events(raw.events, `${where}.events`),
    ref: text(raw, "ref", where, false) || undefined,
    target: target(raw, where, defaults),
    action: action(raw, where),
    ...(raw.attributes === undefined
      ? {}
      : { attributes: attributeNames(raw.attributes, `${where}.attributes`) }),
  };
}

/**
 * Checks a list of custom attribute names (or a comma-separated string).
 * @throws ConfigError naming the bad entry and the rule it breaks
 */
export function attributeNames(value: unknown, where: string): string[] {
  const list = typeof value === "string" ? value.split(",") : value;
  if (!Array.isArray(list)) {
    throw new ConfigError(
      where,
      value,
      "a list of custom attribute names ([PARTITION, NODES])",
    );
  }

  return (list as unknown[]).map((entry) => {
    const name = typeof entry === "string" ? entry.trim() : "";
    const problem = customNameProblem(name);
    if (problem !== undefined) {
      throw new ConfigError(
        where,
        entry,
        `custom attribute names a message may carry (${problem})`,
      );
    }
    return name;
  });
}

// Loaded when there is a routes file: the relay that has none (the original
// container's settings) keeps its memory.
function parseYaml(text: string): unknown {
  const require = createRequire(import.meta.url);
  const yaml = require("yaml") as typeof import("yaml");
  return yaml.parse(text);
}

const REPOSITORY_GLOB = /^[A-Za-z0-9_.*?-]+\/[A-Za-z0-9_.*?-]+$/;

/**
 * Checks one repository glob or a list of them.
 * @throws ConfigError naming the bad entry
 */
export function repositoryGlobs(value: unknown, where: string): string[] {
  const list = typeof value === "string" ? value.split(",") : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(
      where,
      value,
      "'owner/name' or a list of them, globs allowed ('my-org/*')",
    );
  }

  const globs = (list as unknown[]).map((r) =>
    typeof r === "string" ? r.trim() : r,
  );
  const bad = globs.find(
    (r) => typeof r !== "string" || !REPOSITORY_GLOB.test(r),
  );
  if (bad !== undefined) {
    throw new ConfigError(
      where,
      bad,
      "'owner/name', globs allowed ('my-org/*')",
    );
  }
  return globs as string[];
}

function text(
  raw: Record<string, unknown>,
  key: string,
  where: string,
  required: boolean,
): string {
  const value = raw[key];
  if (value === undefined && !required) {
    return "";
  }
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(`${where}.${key}`, value, "a non-empty string");
  }
  return value.trim();
}

function events(value: unknown, where: string): string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  const list = typeof value === "string" ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((e) => typeof e === "string" && /^[a-z_]+$/.test(e))
  ) {
    throw new ConfigError(
      where,
      value,
      "an event name or a list of them, such as [push, release]",
    );
  }
  return list as string[];
}

function target(
  raw: Record<string, unknown>,
  where: string,
  defaults: Partial<SshTarget>,
): SshTarget {
  const host = clusterHost(
    raw.host ?? defaults.host,
    `${where}.host`,
    " (or set RIVANNA_HOST)",
  );
  const user = clusterUser(
    raw.user ?? defaults.user,
    `${where}.user`,
    " (or set USERID)",
  );
  const port = raw.port ?? defaults.port ?? 22;

  if (
    typeof port !== "number" ||
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65535
  ) {
    throw new ConfigError(`${where}.port`, port, "a TCP port, 1-65535");
  }
  return { host, port, user };
}

/**
 * Checks a cluster host name or address; it may not start with '-'.
 * @param hint - added to what was expected, such as where else to set it
 * @throws ConfigError naming `where`
 */
export function clusterHost(value: unknown, where: string, hint = ""): string {
  if (
    typeof value !== "string" ||
    !/^[A-Za-z0-9.:][A-Za-z0-9.:-]{0,252}$/.test(value)
  ) {
    throw new ConfigError(where, value, `a host name or address${hint}`);
  }
  return value;
}

/**
 * Checks a cluster user name.
 * @param hint - added to what was expected, such as where else to set it
 * @throws ConfigError naming `where`
 */
export function clusterUser(value: unknown, where: string, hint = ""): string {
  if (typeof value !== "string" || !/^[a-z_][a-z0-9_.-]{0,31}$/i.test(value)) {
    throw new ConfigError(where, value, `a cluster user name${hint}`);
  }
  return value;
}

function action(
  raw: Record<string, unknown>,
  where: string,
): ScriptAction | SbatchAction {
  if ((raw.script === undefined) === (raw.sbatch === undefined)) {
    throw new ConfigError(
      where,
      Object.keys(raw),
      "exactly one of 'script' or 'sbatch'",
    );
  }
  if (raw.script !== undefined) {
    return {
      kind: "script",
      script: remotePath(raw.script, `${where}.script`),
    };
  }

  const sbatch = raw.sbatch;
  if (typeof sbatch !== "object" || sbatch === null || Array.isArray(sbatch)) {
    throw new ConfigError(
      `${where}.sbatch`,
      sbatch,
      "a mapping with at least 'script'",
    );
  }
  const options = sbatch as Record<string, unknown>;
  const unknown = Object.keys(options).find((k) => !SBATCH_KEYS.has(k));
  if (unknown !== undefined) {
    throw new ConfigError(
      `${where}.sbatch.${unknown}`,
      options[unknown],
      `one of ${[...SBATCH_KEYS].join(", ")}`,
    );
  }
  return {
    kind: "sbatch",
    script: remotePath(options.script, `${where}.sbatch.script`),
    jobName: option(options["job-name"], `${where}.sbatch.job-name`),
    partition: option(options.partition, `${where}.sbatch.partition`),
    account: option(options.account, `${where}.sbatch.account`),
    time: option(options.time, `${where}.sbatch.time`),
  };
}

/** A path on the cluster: absolute or relative to the user's home. */
export function remotePath(value: unknown, where: string): string {
  if (
    typeof value !== "string" ||
    !/^[A-Za-z0-9_./+@=,-]{1,1024}$/.test(value) ||
    value.startsWith("-")
  ) {
    // No '~': it is passed quoted, so no shell would expand it. A relative
    // path already starts at the account's home.
    throw new ConfigError(
      where,
      value,
      "a path on the cluster, absolute or relative to the home directory, of letters, digits and ._/+-@=, characters (no ~)",
    );
  }
  return value;
}

function option(value: unknown, where: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  const text = typeof value === "number" ? String(value) : value;
  if (
    typeof text !== "string" ||
    !OPTION_VALUE.test(text) ||
    text.startsWith("-")
  ) {
    throw new ConfigError(
      where,
      value,
      "a value of letters, digits and _.:%@+/=,- not starting with '-'",
    );
  }
  return text;
}
