import { spawnSync } from "node:child_process";

import {
  BOOTSTRAP_REFUSED,
  buildRemoteCommand,
  encodeEnvironment,
  shellQuote,
} from "../../relay/remote-command.js";

/** Runs a command line with a local `sh -c`, as sshd would remotely. */
function runLocally(command: string, stdin: Buffer) {
  const result = spawnSync("sh", ["-c", command], {
    input: stdin,
    encoding: "utf8",
    timeout: 10_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Prints its arguments and a few variables, one per line.
const echoArgv = [
  "bash",
  "-c",
  'printf "[%s]\\n" "$@" "${A-unset}" "${VERSION-unset}"',
  "echo",
];

describe("shellQuote", () => {
  it.each([
    ["plain", "'plain'"],
    ["", "''"],
    ["it's", "'it'\\''s'"],
    ['$(id) `id` "x" \\', "'$(id) `id` \"x\" \\'"],
  ])("quotes %j as %s", (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  it("produces words a shell reads back unchanged", () => {
    const words = ["it's", "a b", "$HOME", "*", "'", "''", "\\'", "-n"];

    const out = runLocally(
      `printf '%s\\n' ${words.map(shellQuote).join(" ")}`,
      Buffer.alloc(0),
    );

    expect(out.stdout).toBe(words.map((w) => `${w}\n`).join(""));
  });

  it("refuses a word with a NUL byte", () => {
    expect(() => shellQuote("a\0b")).toThrow(/contains a NUL byte/);
  });
});

describe("encodeEnvironment", () => {
  it("writes NUL-terminated NAME=value records and an empty end record", () => {
    const encoded = encodeEnvironment({ A: "1", B_2: "x=y\nz" });

    expect(encoded.toString("utf8")).toBe("A=1\0B_2=x=y\nz\0\0");
  });

  it("encodes no variables as the end record alone", () => {
    expect(encodeEnvironment({})).toEqual(Buffer.from("\0"));
  });

  it.each(["1A", "A-B", "A B", "", "A=B", "é", "A;B"])(
    "refuses the name %j, naming it",
    (name) => {
      expect(() => encodeEnvironment({ [name]: "x" })).toThrow(
        `environment variable name ${JSON.stringify(name)} is not allowed`,
      );
    },
  );

  it.each(["PATH", "IFS", "BASH_ENV", "BASH_FUNC_x", "LD_PRELOAD", "bii_name"])(
    "refuses the reserved name %s",
    (name) => {
      expect(() => encodeEnvironment({ [name]: "x" })).toThrow(
        `environment variable name ${name} is reserved`,
      );
    },
  );

  it("refuses a value with a NUL byte, naming the variable", () => {
    expect(() => encodeEnvironment({ GIT_REF: "a\0b" })).toThrow(
      /environment variable GIT_REF contains a NUL byte/,
    );
  });

  it("refuses a variable too long for Linux to exec with, naming it", () => {
    expect(() => encodeEnvironment({ BIG: "x".repeat(200_000) })).toThrow(
      /environment variable BIG would be 200004 bytes/,
    );
    expect(() => encodeEnvironment({ OK: "x".repeat(131_000) })).not.toThrow();
  });
});

describe("buildRemoteCommand", () => {
  it("is the fixed bootstrap followed by the quoted argv", () => {
    const command = buildRemoteCommand({
      argv: ["/opt/run job.sh", "it's"],
      appendVersion: false,
    });

    expect(command).toMatch(/^bash -c '[^']+' bii-relay --no-version /);
    expect(command.endsWith(` '/opt/run job.sh' 'it'\\''s'`)).toBe(true);
  });

  it("keeps the bootstrap to one line without '!' so csh login shells pass it", () => {
    const command = buildRemoteCommand({ argv: ["x"], appendVersion: true });

    expect(command).not.toMatch(/[\n\r!]/);
  });

  it("puts the command under timeout with a KILL 10 s after its TERM", () => {
    const command = buildRemoteCommand({
      argv: ["job.sh"],
      appendVersion: false,
      timeoutSeconds: 600,
    });

    expect(command).toMatch(
      / --no-version 'timeout' '-k' '10' '600' 'job.sh'$/,
    );
  });

  it.each([0, -1, 1.5, Number.NaN, 8 * 24 * 3600])(
    "refuses timeoutSeconds %s",
    (timeoutSeconds) => {
      expect(() =>
        buildRemoteCommand({
          argv: ["x"],
          appendVersion: false,
          timeoutSeconds,
        }),
      ).toThrow(`timeoutSeconds ${timeoutSeconds} is not allowed`);
    },
  );

  it("refuses an empty argv", () => {
    expect(() =>
      buildRemoteCommand({ argv: [], appendVersion: false }),
    ).toThrow(/argv is empty/);
  });

  it.each(["a\nb", "a\rb", "echo hi!", "a\0b"])(
    "refuses the argument %j, which a login shell may mangle",
    (word) => {
      expect(() =>
        buildRemoteCommand({ argv: ["x", word], appendVersion: false }),
      ).toThrow(/^argv\[1\] .* which a login shell may not pass through/);
    },
  );
});

describe("the bootstrap, run by a local shell", () => {
  const version = 'zzz";echo${IFS}"hello";#';

  it("exports each record as data and appends VERSION as the last argument", () => {
    const command = buildRemoteCommand({ argv: echoArgv, appendVersion: true });

    const out = runLocally(
      command,
      encodeEnvironment({ A: "$(echo injected)", VERSION: version }),
    );

    expect(out).toEqual({
      code: 0,
      stdout: `[${version}]\n[$(echo injected)]\n[${version}]\n`,
      stderr: "",
    });
  });

  it("passes no extra argument without appendVersion", () => {
    const command = buildRemoteCommand({
      argv: echoArgv,
      appendVersion: false,
    });

    const out = runLocally(command, encodeEnvironment({ VERSION: "1.0" }));

    expect(out.stdout).toBe("[unset]\n[1.0]\n");
  });

  it("runs the command with stdin from /dev/null, not the rest of the input", () => {
    const command = buildRemoteCommand({ argv: ["cat"], appendVersion: false });
    const stdin = Buffer.concat([encodeEnvironment({}), Buffer.from("extra")]);

    expect(runLocally(command, stdin)).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
  });

  it.each([
    [
      "input cut off before the end record",
      Buffer.from("A=1\0"),
      /stdin ended before the end/,
    ],
    [
      "a record without '='",
      Buffer.from("A\0\0"),
      /malformed environment record/,
    ],
    [
      "a name that is not a shell name",
      Buffer.from("A-B=1\0\0"),
      /malformed environment record/,
    ],
    [
      "a reserved name",
      Buffer.from("LD_PRELOAD=/x.so\0\0"),
      /refusing to set LD_PRELOAD/,
    ],
    [
      "a bootstrap variable",
      Buffer.from("bii_ended=1\0"),
      /refusing to set bii_ended/,
    ],
  ])("refuses %s and runs nothing", (_, stdin, message) => {
    const command = buildRemoteCommand({
      argv: ["echo", "ran"],
      appendVersion: false,
    });

    const out = runLocally(command, stdin);

    expect(out.code).toBe(BOOTSTRAP_REFUSED);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(message);
  });

  it("refuses to append a VERSION that was not sent", () => {
    const command = buildRemoteCommand({ argv: ["echo"], appendVersion: true });

    const out = runLocally(command, encodeEnvironment({}));

    expect(out.code).toBe(BOOTSTRAP_REFUSED);
    expect(out.stderr).toMatch(/no VERSION to append/);
  });

  it("stops a command that outlives timeoutSeconds", () => {
    const command = buildRemoteCommand({
      argv: ["sleep", "30"],
      appendVersion: false,
      timeoutSeconds: 1,
    });

    const out = runLocally(command, encodeEnvironment({}));

    expect(out.code).toBe(124);
  });
});
