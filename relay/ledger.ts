/**
 * The submission ledger: one directory per event on the cluster's own
 * filesystem, claimed with `mkdir` (atomic, even on NFS) in the same remote
 * command that submits the job. Every relay replica reaches it through the
 * SSH session it already has, so a redelivered message, a second relay or a
 * relay killed between sbatch and the SQS delete all find the claim and get
 * the existing job id instead of submitting again.
 *
 * The job id is written to the ledger before the command's output is
 * printed: if the relay dies mid-command the remote shell may be killed by
 * SIGPIPE when it prints, and by then the id is already recorded.
 */
import { shellQuote } from "./remote-command.js";

/** Exit code of a ledger command whose event another attempt holds. */
export const CLAIMED_ELSEWHERE = 75;

/** How the ledger answered, read from a command's output. */
export type LedgerAnswer =
  | { kind: "duplicate"; jobId: string }
  | { kind: "claimed-elsewhere" }
  | { kind: "ran" };

const DUPLICATE_MARK = "bii-relay-ledger: duplicate";

// One line, no '!', so a csh login shell passes it to bash untouched.
// $1 ledger dir, $2 event key, $3 stale seconds, $4 the command to run.
const PROGRAM = [
  'd="$1/$2"',
  'mkdir -p "$1" || exit 124',
  'if [ -f "$d/job_id" ]; then echo "' +
    DUPLICATE_MARK +
    ' $(cat "$d/job_id")"; exit 0; fi',
  // A claim without a job id older than the stale limit belongs to an
  // attempt that died before sbatch answered; it is taken over.
  'if [ -d "$d" ] && [ -n "$(find "$d" -maxdepth 0 -mmin +$(( ($3 + 59) / 60 )) 2>/dev/null)" ]; then rm -rf "$d"; fi',
  'mkdir "$d" 2>/dev/null || exit ' + String(CLAIMED_ELSEWHERE),
  'out=$(bash -c "$4"); rc=$?',
  "id=$(printf '%s\\n' \"$out\" | sed -nE 's/.*Submitted batch job ([0-9]+).*/\\1/p; s/^([0-9]+)(;[A-Za-z0-9_.-]+)?[[:space:]]*$/\\1/p' | tail -n 1)",
  // A job id in the output means a job exists, even if the script failed
  // or was stopped afterwards: it is recorded, so no retry submits again.
  'if [ -n "$id" ]; then printf "%s\\n" "$id" > "$d/job_id.tmp" && mv "$d/job_id.tmp" "$d/job_id"; else rm -rf "$d"; fi',
  "printf '%s\\n' \"$out\"",
  "exit $rc",
].join("; ");

/**
 * Wraps a remote command so that it runs at most once per event.
 * @param dir - the ledger directory on the cluster (relative to home)
 * @param key - the event key, hex
 * @param staleSeconds - when an unfinished claim is taken over
 * @param command - the command to run, as a shell string from configuration
 */
export function withLedger(
  dir: string,
  key: string,
  staleSeconds: number,
  command: string,
): string {
  if (!/^[0-9a-f]{16,128}$/.test(key)) {
    throw new Error(
      `event key '${key}' is not hex (expected 16-128 hex digits)`,
    );
  }
  const args = [dir, key, String(staleSeconds), command].map(shellQuote);
  return `bash -c ${shellQuote(PROGRAM)} bii-relay-ledger ${args.join(" ")}`;
}

/** Reads the ledger's answer from a finished command. */
export function ledgerAnswer(
  exitCode: number | null,
  stdout: string,
): LedgerAnswer {
  if (exitCode === CLAIMED_ELSEWHERE) {
    return { kind: "claimed-elsewhere" };
  }

  const duplicate = new RegExp(`^${DUPLICATE_MARK} (\\d+)$`, "m").exec(stdout);
  return exitCode === 0 && duplicate?.[1] !== undefined
    ? { kind: "duplicate", jobId: duplicate[1] }
    : { kind: "ran" };
}
