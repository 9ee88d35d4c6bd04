import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import {
  buildRemoteCommand,
  encodeEnvironment,
} from "../../relay/remote-command.js";
import { SshSession } from "../../relay/ssh-session.js";
import { waitForJob } from "../support/slurm.js";
import { knownHostsPolicy, stack } from "../support/stack.js";

// Every hostile value tries to create its own marker file in /tmp; the
// remote user can write there, so a value that ran would leave one behind.
const tag = randomUUID().slice(0, 8);
const marker = (n: number) => `/tmp/bii-pwned-${tag}-${n}`;
const markersLeft = () =>
  readdirSync("/tmp").filter((name) => name.startsWith(`bii-pwned-${tag}-`));

const corpus: Record<string, string> = {
  githubExample: 'zzz";echo${IFS}"hello";#',
  githubTouch: `zzz";touch\${IFS}${marker(1)};#`,
  dollarParen: `$(touch ${marker(2)})`,
  backticks: `\`touch ${marker(3)}\``,
  singleQuote: `'; touch ${marker(4)}; '`,
  doubleQuote: `"; touch ${marker(5)}; "`,
  backslash: `\\"; touch ${marker(6)} #\\`,
  newlines: `a\ntouch ${marker(7)}\n`,
  semicolon: `; touch ${marker(8)}`,
  andAnd: `x && touch ${marker(9)}`,
  pipe: `x | touch ${marker(10)}`,
  globs: "* ? [a-z]* ~ ~root {a,b} /etc/*",
  expansions: "${PATH} $HOME $0 $1 $$ %s %n ${IFS}",
  equals: "a=b=c",
  leadingDash: "-n --help",
  controls: "tab\there\rcarriage\u001bescape\u007fdel",
  nonAscii: "é ∂ 😀 中文 \u202eright-to-left",
  empty: "",
  long: `$(touch ${marker(11)}) `.repeat(4000).slice(0, 100_000),
};

// A probe from configuration: its arguments, then its whole environment,
// each as one line of base64 of NUL-terminated strings.
const probeScript =
  'for a; do printf "%s\\0" "$a"; done | base64 -w0; echo; env -0 | base64 -w0; echo';

interface Probe {
  args: string[];
  env: Map<string, string>;
}

function parseProbe(output: string): Probe {
  const lines = output.split("\n");
  expect(lines).toHaveLength(3);

  const strings = (line: string | undefined) =>
    Buffer.from(line ?? "", "base64")
      .toString("utf8")
      .split("\0")
      .slice(0, -1);
  const env = new Map(
    strings(lines[1]).map((record) => {
      const at = record.indexOf("=");
      return [record.slice(0, at), record.slice(at + 1)];
    }),
  );
  return { args: strings(lines[0]), env };
}

function stackSession(): SshSession {
  const s = stack();
  return new SshSession({
    host: s.sshHost,
    port: s.sshPort,
    username: s.sshUser,
    privateKey: readFileSync(s.sshKeyPath),
    hostKey: knownHostsPolicy(s.knownHostsPath),
  });
}

let session: SshSession;

beforeAll(() => {
  session = stackSession();
});

afterAll(async () => {
  await session.close();
  for (const name of markersLeft()) {
    rmSync(join("/tmp", name));
  }
});

describe("hostile values on the command line (the control)", () => {
  it("would run code if a value were put into the command, so the checks below can fail", async () => {
    const control = `$(touch ${marker(0)})`;

    await session.run(`echo ${control}`, Buffer.alloc(0), {
      deadlineMs: 10_000,
    });

    expect(markersLeft()).toEqual([`bii-pwned-${tag}-0`]);
    rmSync(marker(0));
  });
});

describe("hostile values sent through the bootstrap", () => {
  afterEach(() => {
    expect(markersLeft()).toEqual([]);
  });

  it("arrive byte for byte in the remote environment and run nothing", async () => {
    const env = Object.fromEntries(
      Object.entries(corpus).map(([name, value]) => [`V_${name}`, value]),
    );
    const command = buildRemoteCommand({
      argv: ["bash", "-c", probeScript, "probe"],
      appendVersion: false,
    });

    const result = await session.run(command, encodeEnvironment(env), {
      deadlineMs: 20_000,
    });

    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const probe = parseProbe(result.stdout);
    for (const [name, value] of Object.entries(env)) {
      expect([name, probe.env.get(name)]).toEqual([name, value]);
    }
    expect(probe.args).toEqual([]);
  });

  it.each(Object.entries(corpus))(
    "passes VERSION %s byte for byte as the script's last argument",
    async (_, value) => {
      const command = buildRemoteCommand({
        argv: ["bash", "-c", probeScript, "probe", "first"],
        appendVersion: true,
        timeoutSeconds: 60,
      });

      const result = await session.run(
        command,
        encodeEnvironment({ VERSION: value }),
        { deadlineMs: 20_000 },
      );

      expect(result.stderr).toBe("");
      const probe = parseProbe(result.stdout);
      expect(probe.args).toEqual(["first", value]);
      expect(probe.env.get("VERSION")).toBe(value);
    },
  );
});

describe("hostile values through sbatch", () => {
  const home = stack().userHome;
  const script = join(home, `bii-ssh-probe-${tag}.sh`);
  const outputs: string[] = [];

  beforeAll(() => {
    writeFileSync(script, `#!/bin/bash\n${probeScript}\n`, { mode: 0o755 });
  });

  afterAll(() => {
    for (const file of [script, ...outputs]) {
      rmSync(file, { force: true });
    }
  });

  it("reach the job's environment and its argument byte for byte, and run nothing", async () => {
    const env = Object.fromEntries(
      Object.entries(corpus).map(([name, value]) => [`V_${name}`, value]),
    );
    const command = buildRemoteCommand({
      argv: [
        "sbatch",
        "--parsable",
        "--export=ALL",
        `--partition=${stack().partition}`,
        "--job-name=bii-ssh-probe",
        `--output=${home}/bii-ssh-probe-%j.out`,
        script,
      ],
      appendVersion: true,
      timeoutSeconds: 60,
    });

    const result = await session.run(
      command,
      encodeEnvironment({ ...env, VERSION: corpus.githubTouch ?? "" }),
      { deadlineMs: 20_000 },
    );
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const jobId = result.stdout.trim();
    expect(jobId).toMatch(/^\d+$/);
    outputs.push(join(home, `bii-ssh-probe-${jobId}.out`));

    await expect(waitForJob(jobId)).resolves.toBe("COMPLETED");
    const probe = parseProbe(readFileSync(outputs[0] ?? "", "utf8"));
    expect(probe.args).toEqual([corpus.githubTouch]);
    for (const [name, value] of Object.entries(env)) {
      expect([name, probe.env.get(name)]).toEqual([name, value]);
    }
    expect(markersLeft()).toEqual([]);
  });
});
