import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Env = Record<string, string | undefined>;

/** The stack's host key, as a known_hosts line for a made-up cluster. */
export const KNOWN_HOSTS_LINE =
  "cluster.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBo6F1/eWgCcOFLfxhsDqJqCwLwIktGdUufbevpMCxXI";

/** A temporary directory holding the files a relay configuration names. */
export interface ConfigFiles {
  /** Writes a file into the directory and returns its path. */
  write(name: string, text: string): string;
  /** A complete single-route environment; override what a test is about. */
  env(overrides?: Env): Env;
  remove(): void;
}

/** Creates the directory with a private key and a known_hosts file. */
export function configFiles(): ConfigFiles {
  const dir = mkdtempSync(join(tmpdir(), "bii-relay-config-"));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  const base: Env = {
    // An empty home, so no default file of the machine running the tests
    // is picked up.
    HOME: join(dir, "home"),
    QURL: "https://sqs.eu-west-2.amazonaws.com/123456789012/jobs",
    RIVANNA_SCRIPT: "/home/bii/run.sh",
    USERID: "bii",
    GIT_REPO: "uva-bii/pipeline",
    SSH_KEY_FILE: write("id_ed25519", "not really a key\n"),
    SSH_KNOWN_HOSTS: write("known_hosts", `${KNOWN_HOSTS_LINE}\n`),
  };
  return {
    write,
    env: (overrides = {}) => ({ ...base, ...overrides }),
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The error a function throws, for tests that read its message. */
export function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) {
      return error;
    }
    throw error;
  }
  throw new Error("expected an error, but nothing was thrown");
}
