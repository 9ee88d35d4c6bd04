/**
 * The submission ledger: a directory on the cluster's own filesystem with
 * a file per event, claimed by creating it exclusively (atomic, even on NFS)
 * in the same remote command that submits the job. Every relay replica reaches it through the
 * SSH session it already has, so a redelivered message, a second relay or a
 * relay killed between sbatch and the SQS delete all find the claim and get
 * the existing job id instead of submitting again.
 *
 * The job id is written to the ledger before the command's output is
 * printed: if the relay dies mid-command the remote shell may be killed by
 * SIGPIPE when it prints, and by then the id is already recorded.
 */
import { shellQuote } from "./remote-command.js";

/** How the ledger answered, from the last line it printed. */
export type LedgerAnswer =
  /** An earlier attempt submitted this event as job `jobId`. */
  | { kind: "duplicate"; jobId: string }
  /** Another attempt holds the event now. */
  | { kind: "claimed-elsewhere" }
  /** The command ran; `jobId` when its output named one. */
  | { kind: "ran"; jobId: string | undefined }
  /** No answer: the command was cut off, or the ledger could not run. */
  | { kind: "unknown" };

const MARK = "bii-relay-ledger:";

/** Exit status when the ledger directory cannot be created. */
export const LEDGER_UNUSABLE = 74;

// One line, no '!', so a csh login shell passes it to bash untouched.
// $1 ledger dir, $2 event key, $3 stale seconds, $4 the command to run.
// $1/$2 holds the job id once there is one; $1/$2.claim marks an attempt
// under way, created with noclobber (O_EXCL), which is atomic, NFS
// included. Shell builtins do the rest: every process started here is time
// added to each submission.
// The ledger's verdict is always the last line printed, after anything the
// command printed, so no output of the command can pass for it.
const PROGRAM = [
  'j="$1/$2"; c="$1/$2.claim"',
  `[ -d "$1" ] || mkdir -p "$1" || { echo "${MARK} cannot create the ledger directory $1" >&2; exit ${String(LEDGER_UNUSABLE)}; }`,
  `if [ -f "$j" ]; then IFS= read -r id < "$j"; echo "${MARK} duplicate $id"; exit 0; fi`,
  // A claim older than the stale limit belongs to an attempt that died
  // before sbatch answered; it is taken over. Two attempts may both see it
  // stale, and the later one's rm must not remove the claim the earlier one
  // has just made: so removal happens under a takeover lock, after looking
  // again. The lock is held for an instant; one left by a killed shell is
  // stale after the same limit.
  'm=$(( ($3 + 59) / 60 )); t="$c.takeover"; stale() { [ -f "$1" ] && [ -n "$(find "$1" -mmin +$m 2>/dev/null)" ]; }',
  'if stale "$c"; then stale "$t" && rm -f "$t"; if ( set -C; : > "$t" ) 2>/dev/null; then stale "$c" && rm -f "$c"; rm -f "$t"; fi; fi',
  `if ( set -C; : > "$c" ) 2>/dev/null; then :; else echo "${MARK} claimed"; exit 0; fi`,
  'out=$(eval "$4"); rc=$?',
  // sbatch --parsable prints ID or ID;CLUSTER, plain sbatch "Submitted
  // batch job ID"; the last one wins, as a script may submit a chain.
  "p1='Submitted batch job ([0-9]+)'; p2='^([0-9]+)(;[A-Za-z0-9_.-]+)?[[:space:]]*$'; id=''",
  'while IFS= read -r l; do if [[ $l =~ $p1 || $l =~ $p2 ]]; then id=${BASH_REMATCH[1]}; fi; done <<< "$out"',
  // A job id in the output means a job exists, even if the script failed
  // or was stopped afterwards: it is recorded, so no retry submits again.
  'if [ -n "$id" ]; then printf "%s\\n" "$id" > "$j.tmp" && mv -f "$j.tmp" "$j"; else rm -f "$c"; fi',
  "printf '%s\\n' \"$out\"",
  `echo "${MARK} ran \${id:-none}"`,
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

/** Reads the ledger's verdict: the last line of the command's output. */
export function ledgerAnswer(stdout: string): LedgerAnswer {
  const lines = stdout.trimEnd().split("\n");
  const last = lines[lines.length - 1] ?? "";
  if (!last.startsWith(`${MARK} `)) {
    return { kind: "unknown" };
  }

  const [verdict, id] = last.slice(MARK.length + 1).split(" ");
  if (verdict === "duplicate" && id !== undefined && /^\d+$/.test(id)) {
    return { kind: "duplicate", jobId: id };
  }
  if (verdict === "claimed") {
    return { kind: "claimed-elsewhere" };
  }
  if (verdict === "ran" && id !== undefined) {
    return { kind: "ran", jobId: /^\d+$/.test(id) ? id : undefined };
  }
  return { kind: "unknown" };
}

/** The command's own output: everything before the ledger's last line. */
export function commandOutput(stdout: string): string {
  const lines = stdout.trimEnd().split("\n");
  return lines[lines.length - 1]?.startsWith(MARK) === true
    ? lines.slice(0, -1).join("\n")
    : stdout;
}
