import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

import {
  buildRemoteCommand,
  encodeEnvironment,
} from "../../relay/remote-command.js";
import { SshError } from "../../relay/ssh-error.js";
import { SshSession, type RunResult } from "../../relay/ssh-session.js";
import { processAlive, TestSshd, waitFor } from "../support/sshd.js";
import { knownHostsPolicy, stack } from "../support/stack.js";

// A command that hangs the way a stuck job script would: a shell waiting on
// a child. It writes both pids so the test can look for them afterwards.
function hangingCommand(pidFile: string, timeoutSeconds?: number): string {
  const script = `echo $$ > ${pidFile}; (echo $BASHPID >> ${pidFile}; exec sleep 300) & wait`;
  return buildRemoteCommand({
    argv: ["bash", "-c", script],
    appendVersion: false,
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  });
}

async function remotePids(pidFile: string): Promise<number[]> {
  const read = () =>
    existsSync(pidFile)
      ? readFileSync(pidFile, "utf8").trim().split("\n").map(Number)
      : [];
  await waitFor(() => read().length === 2, `two pids in ${pidFile}`);
  return read();
}

const allGone = (pids: number[]) => () => pids.every((p) => !processAlive(p));

describe("stopping commands that outlive their time", () => {
  let sshd: TestSshd;
  let session: SshSession;
  const pidFiles: string[] = [];
  const newPidFile = () => {
    const file = `/tmp/bii-ssh-pids-${randomUUID()}`;
    pidFiles.push(file);
    return file;
  };

  beforeAll(async () => {
    sshd = await TestSshd.start("deadline");
    const s = stack();
    session = new SshSession({
      host: s.sshHost,
      port: sshd.port,
      username: s.sshUser,
      privateKey: readFileSync(s.sshKeyPath),
      hostKey: knownHostsPolicy(sshd.knownHostsPath),
    });
  });

  afterEach(async () => {
    await sshd.resume();
  });

  afterAll(async () => {
    await session.close();
    await sshd.stop();
    for (const file of pidFiles) {
      rmSync(file, { force: true });
    }
  });

  it.each([
    ["without timeoutSeconds", undefined],
    ["under timeout", 300],
  ])(
    "kills the command and its children on the cluster at the deadline (%s)",
    async (_, timeoutSeconds) => {
      const pidFile = newPidFile();
      const started = Date.now();

      const result = session.run(
        hangingCommand(pidFile, timeoutSeconds),
        encodeEnvironment({}),
        { deadlineMs: 2000 },
      );
      const pids = await remotePids(pidFile);

      await expect(result).resolves.toMatchObject<Partial<RunResult>>({
        timedOut: true,
        exitCode: null,
        signal: "SIGKILL",
      });
      expect(Date.now() - started).toBeLessThan(8000);
      await waitFor(allGone(pids), "the remote processes to die", 5000);
    },
  );

  it("kills the command on the cluster when the caller aborts", async () => {
    const pidFile = newPidFile();
    const abort = new AbortController();

    const result = session.run(hangingCommand(pidFile), encodeEnvironment({}), {
      deadlineMs: 60_000,
      signal: abort.signal,
    });
    const pids = await remotePids(pidFile);
    abort.abort();

    await expect(result).resolves.toMatchObject({ timedOut: true });
    await waitFor(allGone(pids), "the remote processes to die", 5000);
  });

  it("lets timeout stop the command on the cluster before the deadline", async () => {
    const pidFile = newPidFile();
    const started = Date.now();

    const result = session.run(
      hangingCommand(pidFile, 1),
      encodeEnvironment({}),
      { deadlineMs: 30_000 },
    );
    const pids = await remotePids(pidFile);

    // timeout exits 124 when it had to stop the command.
    await expect(result).resolves.toMatchObject({
      timedOut: false,
      exitCode: 124,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    await waitFor(allGone(pids), "the remote processes to die", 5000);
  });

  it("stops the command under timeout even after the SSH connection is gone", async () => {
    const pidFile = newPidFile();

    const result = session.run(
      hangingCommand(pidFile, 3),
      encodeEnvironment({}),
      { deadlineMs: 60_000 },
    );
    const pids = await remotePids(pidFile);
    sshd.dropConnections();

    await expect(result).rejects.toBeInstanceOf(SshError);
    expect(pids.every(processAlive)).toBe(true);
    await waitFor(allGone(pids), "timeout to stop the command", 15_000);
  });

  it("leaves a command without timeout running when its connection is cut, which is what timeoutSeconds is for", async () => {
    const pidFile = newPidFile();

    const result = session.run(hangingCommand(pidFile), encodeEnvironment({}), {
      deadlineMs: 60_000,
    });
    const pids = await remotePids(pidFile);
    sshd.dropConnections();
    await expect(result).rejects.toMatchObject({ kind: "connection-lost" });

    try {
      await sleep(4000);
      expect(pids.every(processAlive)).toBe(true);
    } finally {
      for (const pid of pids.filter(processAlive)) {
        process.kill(pid, "SIGKILL");
      }
    }
  });
});
