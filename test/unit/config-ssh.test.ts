import { ConfigError } from "../../relay/config-error.js";
import { loadConfig } from "../../relay/config.js";
import { configFiles, thrownBy } from "../support/config-files.js";

const files = configFiles();
afterAll(() => {
  files.remove();
});

const PINNED = "SHA256:MKTJhcgS8CacpvjO1xKSnovorxHBbygnSSMphV1tu4E";

describe("loadConfig, for the SSH login", () => {
  it("reads the private key from SSH_KEY_FILE", () => {
    const env = files.env();

    const config = loadConfig(env);

    expect(config.privateKeyPath).toBe(env.SSH_KEY_FILE);
    expect(config.privateKey.toString()).toBe("not really a key\n");
  });

  it("names SSH_KEY_FILE and the path when the key cannot be read", () => {
    const env = files.env({ SSH_KEY_FILE: "/nonexistent/id_rsa" });

    const error = thrownBy(() => loadConfig(env));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'SSH_KEY_FILE "/nonexistent/id_rsa" is not valid: expected a readable file (ENOENT)',
    );
  });

  it("looks for a key in the home directory when SSH_KEY_FILE is unset", () => {
    const env = files.env({ SSH_KEY_FILE: undefined });

    const error = thrownBy(() => loadConfig(env));

    expect(error.message).toMatch(
      /^SSH_KEY_FILE is not set: expected a private key file; none found at .*bii-relay-config-.*\/home\/\.ssh\/id_rsa/,
    );
  });
});

describe("loadConfig, for the cluster's host key", () => {
  it("verifies host keys against the entries of SSH_KNOWN_HOSTS", () => {
    const env = files.env();

    const { hostKey } = loadConfig(env);

    expect(hostKey).toMatchObject({
      kind: "known-hosts",
      source: env.SSH_KNOWN_HOSTS,
      entries: [{ patterns: ["cluster.example.org"], keyType: "ssh-ed25519" }],
    });
  });

  it("verifies host keys against a pinned fingerprint instead", () => {
    const env = files.env({ SSH_HOST_KEY_FINGERPRINT: PINNED });

    expect(loadConfig(env).hostKey).toEqual({
      kind: "fingerprint",
      fingerprint: PINNED,
    });
  });

  it("refuses a fingerprint that is not an OpenSSH SHA256 one", () => {
    const env = files.env({ SSH_HOST_KEY_FINGERPRINT: "MD5:12:34" });

    const error = thrownBy(() => loadConfig(env));

    expect(error.message).toMatch(
      /^SSH_HOST_KEY_FINGERPRINT "MD5:12:34" is not valid: expected an OpenSSH fingerprint such as SHA256:/,
    );
  });

  it("refuses to start with neither a known_hosts file nor a fingerprint", () => {
    const env = files.env({ SSH_KNOWN_HOSTS: undefined });

    const error = thrownBy(() => loadConfig(env));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^SSH_KNOWN_HOSTS is not set: expected /);
    expect(error.message).toContain("host keys are always verified");
  });

  it("names SSH_KNOWN_HOSTS and the path when that file does not exist", () => {
    const env = files.env({ SSH_KNOWN_HOSTS: "/nonexistent/known_hosts" });

    const error = thrownBy(() => loadConfig(env));

    expect(error.message).toBe(
      'SSH_KNOWN_HOSTS "/nonexistent/known_hosts" is not valid: expected a readable file (ENOENT)',
    );
  });

  it("refuses a known_hosts file without a single host key", () => {
    const path = files.write("empty_known_hosts", "# nothing yet\n\n");

    const error = thrownBy(() =>
      loadConfig(files.env({ SSH_KNOWN_HOSTS: path })),
    );

    expect(error.message).toBe(
      `SSH_KNOWN_HOSTS "${path}" is not valid: expected a known_hosts file with at least one host key line`,
    );
  });
});
