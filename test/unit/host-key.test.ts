import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  fingerprint,
  hostKeyAlgorithms,
  hostKeyProblem,
  parseKnownHosts,
  type HostKeyPolicy,
} from "../../relay/host-key.js";

const dir = mkdtempSync(join(tmpdir(), "bii-relay-host-key-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Generates a host key with ssh-keygen; returns its .pub line's fields. */
function generateKey(name: string): { type: string; base64: string } {
  const path = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path]);
  const [type = "", base64 = ""] = readFileSync(`${path}.pub`, "utf8").split(
    " ",
  );
  return { type, base64 };
}

const key = generateKey("host_key");
const other = generateKey("other_key");
const KEY = Buffer.from(key.base64, "base64");
const OTHER = Buffer.from(other.base64, "base64");

// How OpenSSH hashes a name: HMAC-SHA1 keyed by a random salt.
function hashedName(name: string): string {
  const salt = randomBytes(20);
  const hash = createHmac("sha1", salt).update(name).digest();
  return `|1|${salt.toString("base64")}|${hash.toString("base64")}`;
}

function knownHosts(...lines: string[]): HostKeyPolicy {
  return {
    kind: "known-hosts",
    entries: parseKnownHosts(lines.join("\n")),
    source: "known_hosts",
  };
}

describe("fingerprint", () => {
  it("is what ssh-keygen -lf prints for the key", () => {
    const printed = execFileSync("ssh-keygen", [
      "-lf",
      join(dir, "host_key.pub"),
    ]).toString();

    expect(printed.split(" ")[1]).toBe(fingerprint(KEY));
  });
});

describe("parseKnownHosts", () => {
  it("reads host lists and keys, skipping comments and blank lines", () => {
    const entries = parseKnownHosts(
      [
        "# the cluster",
        "",
        `login.example.org,[10.0.0.1]:2222 ${key.type} ${key.base64} a comment`,
      ].join("\n"),
    );

    expect(entries).toEqual([
      {
        patterns: ["login.example.org", "[10.0.0.1]:2222"],
        keyType: "ssh-ed25519",
        key: KEY,
        revoked: false,
      },
    ]);
  });

  it("marks @revoked keys and skips @cert-authority lines", () => {
    const entries = parseKnownHosts(
      [
        `@revoked * ${key.type} ${key.base64}`,
        `@cert-authority *.example.org ${other.type} ${other.base64}`,
      ].join("\n"),
    );

    expect(entries).toEqual([
      { patterns: ["*"], keyType: "ssh-ed25519", key: KEY, revoked: true },
    ]);
  });

  it("trusts no key on a line with a marker it does not know", () => {
    const entries = parseKnownHosts(`@trusted * ${key.type} ${key.base64}`);

    expect(entries).toEqual([]);
  });

  it("skips a line without a key", () => {
    expect(parseKnownHosts("login.example.org ssh-ed25519")).toEqual([]);
  });
});

describe("hostKeyProblem, with a known_hosts file", () => {
  it("accepts the key listed for the host", () => {
    const policy = knownHosts(`login.example.org ${key.type} ${key.base64}`);

    expect(hostKeyProblem(policy, "login.example.org", 22, KEY)).toBe(
      undefined,
    );
  });

  it("looks a host up as [host]:port off port 22", () => {
    const policy = knownHosts(
      `[login.example.org]:2222 ${key.type} ${key.base64}`,
    );

    expect(hostKeyProblem(policy, "login.example.org", 2222, KEY)).toBe(
      undefined,
    );
    expect(hostKeyProblem(policy, "login.example.org", 22, KEY)).toBe(
      `known_hosts has no entry for login.example.org (host key presented: ${fingerprint(KEY)}); add one, or pin the fingerprint`,
    );
  });

  it("matches a hashed host name, in any case", () => {
    const policy = knownHosts(
      `${hashedName("login.example.org")} ${key.type} ${key.base64}`,
    );

    expect(hostKeyProblem(policy, "login.example.org", 22, KEY)).toBe(
      undefined,
    );
    expect(hostKeyProblem(policy, "Login.Example.ORG", 22, KEY)).toBe(
      undefined,
    );
    expect(hostKeyProblem(policy, "other.example.org", 22, KEY)).toMatch(
      /has no entry for other\.example\.org/,
    );
  });

  it("matches the names ssh-keygen -H hashes", () => {
    const file = join(dir, "hashed_known_hosts");
    writeFileSync(file, `[login.example.org]:2222 ${key.type} ${key.base64}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file]);
    const text = readFileSync(file, "utf8");

    const problem = hostKeyProblem(
      { kind: "known-hosts", entries: parseKnownHosts(text), source: file },
      "login.example.org",
      2222,
      KEY,
    );

    expect(text).toMatch(/^\|1\|/);
    expect(problem).toBeUndefined();
  });

  it("matches wildcards unless a negated pattern excludes the host", () => {
    const policy = knownHosts(
      `!old.example.org,*.example.org ${key.type} ${key.base64}`,
    );

    expect(hostKeyProblem(policy, "login.example.org", 22, KEY)).toBe(
      undefined,
    );
    expect(hostKeyProblem(policy, "old.example.org", 22, KEY)).toMatch(
      /has no entry for old\.example\.org/,
    );
  });

  it("refuses a revoked key even when another line lists it", () => {
    const policy = knownHosts(
      `@revoked * ${key.type} ${key.base64}`,
      `login.example.org ${key.type} ${key.base64}`,
    );

    expect(hostKeyProblem(policy, "login.example.org", 22, KEY)).toBe(
      `host key ${fingerprint(KEY)} of login.example.org:22 is marked @revoked in known_hosts`,
    );
  });

  it("refuses a key that is not the one listed, naming the key presented", () => {
    const policy = knownHosts(`login.example.org ${key.type} ${key.base64}`);

    expect(hostKeyProblem(policy, "login.example.org", 22, OTHER)).toBe(
      `host key ${fingerprint(OTHER)} of login.example.org:22 does not match known_hosts: the key changed or the host is not the one expected`,
    );
  });
});

describe("hostKeyProblem, with a pinned fingerprint", () => {
  const policy: HostKeyPolicy = {
    kind: "fingerprint",
    fingerprint: fingerprint(KEY),
  };

  it("accepts the key with that fingerprint", () => {
    expect(hostKeyProblem(policy, "login.example.org", 22, KEY)).toBe(
      undefined,
    );
  });

  it("refuses another key, naming both fingerprints", () => {
    expect(hostKeyProblem(policy, "login.example.org", 22, OTHER)).toBe(
      `host key ${fingerprint(OTHER)} of login.example.org:22 does not match the pinned fingerprint ${fingerprint(KEY)}`,
    );
  });
});

describe("hostKeyAlgorithms", () => {
  it("offers only the algorithms of the key types listed for the host", () => {
    const policy = knownHosts(
      `login.example.org ssh-rsa ${key.base64}`,
      `login.example.org ecdsa-sha2-nistp256 ${key.base64}`,
      `other.example.org ssh-ed25519 ${key.base64}`,
    );

    expect(hostKeyAlgorithms(policy, "login.example.org", 22)).toEqual([
      "ecdsa-sha2-nistp256",
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
    ]);
  });

  it("leaves out revoked keys and keys for other ports", () => {
    const policy = knownHosts(
      `@revoked login.example.org ssh-rsa ${key.base64}`,
      `[login.example.org]:2222 ecdsa-sha2-nistp384 ${key.base64}`,
      `login.example.org ssh-ed25519 ${key.base64}`,
    );

    expect(hostKeyAlgorithms(policy, "login.example.org", 22)).toEqual([
      "ssh-ed25519",
    ]);
  });

  it("keeps the defaults for a pinned fingerprint or a host with no entry", () => {
    const pinned: HostKeyPolicy = {
      kind: "fingerprint",
      fingerprint: fingerprint(KEY),
    };
    const elsewhere = knownHosts(`other.example.org ssh-ed25519 ${key.base64}`);

    expect(hostKeyAlgorithms(pinned, "login.example.org", 22)).toBeUndefined();
    expect(
      hostKeyAlgorithms(elsewhere, "login.example.org", 22),
    ).toBeUndefined();
  });
});
