import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { commandOutput, ledgerAnswer, withLedger } from "../../relay/ledger.js";

/** Runs a ledger-wrapped command with the local bash, as sshd would. */
function run(
  dir: string,
  key: string,
  command: string,
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      ["-c", withLedger(dir, key, 120, command)],
      (error, stdout) => {
        resolve({
          code: typeof error?.code === "number" ? error.code : 0,
          stdout,
        });
      },
    );
  });
}

/** Leaves a file as an attempt killed `minutes` ago would have. */
function leftBehind(path: string, minutes: number): void {
  writeFileSync(path, "");
  const then = Date.now() / 1000 - minutes * 60;
  utimesSync(path, then, then);
}

describe("the submission ledger", () => {
  let dir: string;
  let key: string;

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), "bii-ledger-")), "submitted");
    key = randomBytes(32).toString("hex");
  });

  it("records the job id of a first run and answers later runs with it", async () => {
    const first = await run(dir, key, "echo 'Submitted batch job 4242'");
    const again = await run(dir, key, "echo 'Submitted batch job 9999'");

    expect(ledgerAnswer(first.stdout)).toEqual({ kind: "ran", jobId: "4242" });
    expect(commandOutput(first.stdout)).toBe("Submitted batch job 4242");
    expect(ledgerAnswer(again.stdout)).toEqual({
      kind: "duplicate",
      jobId: "4242",
    });
    expect(readFileSync(join(dir, key), "utf8")).toBe("4242\n");
  });

  it.each([
    ["sbatch --parsable", "echo 17", "17"],
    ["sbatch --parsable on a federated cluster", "echo '17;rivanna'", "17"],
    [
      "a script submitting a chain",
      "echo 'Submitted batch job 5'; echo 'Submitted batch job 6'",
      "6",
    ],
  ])("reads the job id from %s", async (_, command, id) => {
    const result = await run(dir, key, command);

    expect(ledgerAnswer(result.stdout)).toEqual({ kind: "ran", jobId: id });
  });

  it("keeps the job id of a script that failed after sbatch, so no retry submits again", async () => {
    const result = await run(dir, key, "echo 'Submitted batch job 31'; exit 3");

    expect(result.code).toBe(3);
    expect(ledgerAnswer(result.stdout)).toEqual({ kind: "ran", jobId: "31" });
    expect(existsSync(join(dir, key))).toBe(true);
  });

  it("releases the claim of a run that submitted nothing, so a retry can run", async () => {
    const failed = await run(
      dir,
      key,
      "echo 'sbatch: error: bad partition' >&2; exit 1",
    );
    const retry = await run(dir, key, "echo 77");

    expect(failed.code).toBe(1);
    expect(ledgerAnswer(failed.stdout)).toEqual({
      kind: "ran",
      jobId: undefined,
    });
    expect(ledgerAnswer(retry.stdout)).toEqual({ kind: "ran", jobId: "77" });
  });

  it("answers 'claimed' while another attempt holds the event", async () => {
    const holder = run(dir, key, "sleep 1; echo 8");
    await new Promise((resolve) => setTimeout(resolve, 300));

    const second = await run(dir, key, "echo 9");

    expect(ledgerAnswer(second.stdout)).toEqual({ kind: "claimed-elsewhere" });
    expect(ledgerAnswer((await holder).stdout)).toEqual({
      kind: "ran",
      jobId: "8",
    });
  });

  it("takes over a claim older than the stale limit and runs", async () => {
    mkdirSync(dir, { recursive: true });
    leftBehind(join(dir, `${key}.claim`), 10);

    const result = await run(dir, key, "echo 'Submitted batch job 31'");

    expect(ledgerAnswer(result.stdout)).toEqual({ kind: "ran", jobId: "31" });
    expect(existsSync(join(dir, `${key}.takeover`))).toBe(false);
  });

  it("leaves a stale claim alone while another attempt is taking it over", async () => {
    mkdirSync(dir, { recursive: true });
    leftBehind(join(dir, `${key}.claim`), 10);
    leftBehind(join(dir, `${key}.claim.takeover`), 0);

    const result = await run(dir, key, "echo 'Submitted batch job 32'");

    expect(ledgerAnswer(result.stdout)).toEqual({ kind: "claimed-elsewhere" });
    expect(existsSync(join(dir, `${key}.claim`))).toBe(true);
  });

  it("removes a takeover lock left by a killed attempt", async () => {
    mkdirSync(dir, { recursive: true });
    leftBehind(join(dir, `${key}.claim`), 10);
    leftBehind(join(dir, `${key}.claim.takeover`), 10);

    const result = await run(dir, key, "echo 'Submitted batch job 33'");

    expect(ledgerAnswer(result.stdout)).toEqual({ kind: "ran", jobId: "33" });
    expect(existsSync(join(dir, `${key}.claim.takeover`))).toBe(false);
  });

  it("cannot be fooled by output that imitates its verdict", async () => {
    const result = await run(
      dir,
      key,
      "echo 'bii-relay-ledger: duplicate 1'; exit 1",
    );

    expect(ledgerAnswer(result.stdout)).toEqual({
      kind: "ran",
      jobId: undefined,
    });
  });

  it("gives no answer for output cut off before its verdict", () => {
    expect(ledgerAnswer("Submitted batch job 5\n")).toEqual({
      kind: "unknown",
    });
    expect(ledgerAnswer("")).toEqual({ kind: "unknown" });
  });

  it("refuses an event key that is not hex", () => {
    expect(() => withLedger(dir, "../../etc", 60, "true")).toThrow(
      "event key '../../etc' is not hex (expected 16-128 hex digits)",
    );
  });
});
