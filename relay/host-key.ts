/**
 * Host-key verification for the SSH connection to the cluster. There is no
 * accept-any mode: a key is accepted only when it is listed for the host in a
 * known_hosts file or matches a pinned `SHA256:` fingerprint.
 */
import { createHash, createHmac } from "node:crypto";

import type { ServerHostKeyAlgorithm } from "ssh2";

import { globMatches } from "./glob.js";

/** One usable line of a known_hosts file. */
export interface KnownHost {
  patterns: string[];
  keyType: string;
  key: Buffer;
  revoked: boolean;
}

/**
 * The OpenSSH fingerprint of a raw public key blob: `SHA256:` and the
 * unpadded base64 of its SHA-256, as `ssh-keygen -lf` prints it.
 */
export function fingerprint(key: Buffer): string {
  const digest = createHash("sha256").update(key).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/**
 * Parses known_hosts text. Comments, blank lines and `@cert-authority`
 * lines (certificates are not supported) are skipped, and so are lines with
 * a marker OpenSSH does not know, whose key it would not trust either.
 */
export function parseKnownHosts(text: string): KnownHost[] {
  const entries: KnownHost[] = [];

  for (const raw of text.split("\n")) {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === "" || fields[0][0] === "#") {
      continue;
    }

    const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
    const [hosts = "", keyType = "", key] = fields;
    if ((marker !== undefined && marker !== "@revoked") || key === undefined) {
      continue;
    }
    entries.push({
      patterns: hosts.split(","),
      keyType,
      key: Buffer.from(key, "base64"),
      revoked: marker === "@revoked",
    });
  }
  return entries;
}

/**
 * The name OpenSSH looks up: `host`, or `[host]:port` off port 22. Like
 * OpenSSH it lowercases the host, which matters for hashed names.
 */
export function hostLookupName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/**
 * Whether a known_hosts entry names this host. Supports plain names, `*` and
 * `?` wildcards, `!` negation and hashed (`|1|salt|hash`) names.
 */
export function entryMatches(entry: KnownHost, lookupName: string): boolean {
  let matched = false;

  for (const pattern of entry.patterns) {
    const negated = pattern.startsWith("!");
    const body = negated ? pattern.slice(1) : pattern;
    if (patternMatches(body, lookupName)) {
      if (negated) {
        return false;
      }
      matched = true;
    }
  }
  return matched;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (salt === undefined || hash === undefined) {
      return false;
    }
    const mac = createHmac("sha1", Buffer.from(salt, "base64"))
      .update(name)
      .digest("base64");
    return mac === hash;
  }

  return globMatches(pattern, name, true);
}

/** What the relay accepts as the cluster's host key. */
export type HostKeyPolicy =
  | { kind: "known-hosts"; entries: KnownHost[]; source: string }
  | { kind: "fingerprint"; fingerprint: string };

/** Why a presented key was refused, or undefined when it is accepted. */
export function hostKeyProblem(
  policy: HostKeyPolicy,
  host: string,
  port: number,
  key: Buffer,
): string | undefined {
  const presented = fingerprint(key);

  if (policy.kind === "fingerprint") {
    return presented === policy.fingerprint
      ? undefined
      : `host key ${presented} of ${host}:${port} does not match the pinned fingerprint ${policy.fingerprint}`;
  }

  const name = hostLookupName(host, port);
  const entries = policy.entries.filter((e) => entryMatches(e, name));
  if (entries.some((e) => e.revoked && e.key.equals(key))) {
    return `host key ${presented} of ${host}:${port} is marked @revoked in ${policy.source}`;
  }
  if (entries.some((e) => !e.revoked && e.key.equals(key))) {
    return undefined;
  }
  return entries.length === 0
    ? `${policy.source} has no entry for ${name} (host key presented: ${presented}); add one, or pin the fingerprint`
    : `host key ${presented} of ${host}:${port} does not match ${policy.source}: the key changed or the host is not the one expected`;
}

// The signature algorithms each known_hosts key type can be verified with,
// in the order ssh2 prefers them.
const ALGORITHMS_BY_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/**
 * The host-key algorithms to offer the server: those of the key types
 * known_hosts lists for the host, as OpenSSH's client does. Otherwise a
 * server with several host keys may present one known_hosts does not list
 * (an ed25519 key beside the listed RSA one) and be refused.
 * @returns undefined to keep ssh2's defaults: a pinned fingerprint names no
 *   type, and a host with no usable entry is refused whatever it presents
 */
export function hostKeyAlgorithms(
  policy: HostKeyPolicy,
  host: string,
  port: number,
): ServerHostKeyAlgorithm[] | undefined {
  if (policy.kind === "fingerprint") {
    return undefined;
  }

  const name = hostLookupName(host, port);
  const types = new Set(
    policy.entries
      .filter((e) => !e.revoked && entryMatches(e, name))
      .map((e) => e.keyType),
  );
  const algorithms = Object.entries(ALGORITHMS_BY_KEY_TYPE)
    .filter(([type]) => types.has(type))
    .flatMap(([, names]) => names);
  return algorithms.length === 0 ? undefined : algorithms;
}

/** Adds the fingerprints the policy expects to a host-key refusal. */
export function withExpected(
  problem: string,
  policy: HostKeyPolicy,
  host: string,
  port: number,
): string {
  if (policy.kind === "fingerprint") {
    return problem;
  }

  const name = hostLookupName(host, port);
  const expected = policy.entries
    .filter((e) => !e.revoked && entryMatches(e, name))
    .map((e) => fingerprint(e.key));
  return expected.length === 0
    ? problem
    : `${problem} (expected ${expected.join(" or ")})`;
}
