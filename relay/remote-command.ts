/**
 * The command line the relay runs on the login node, and the environment it
 * sends with it.
 *
 * Message values may be hostile, so they never appear in the command line:
 * the command is fixed text plus shell-quoted arguments from the relay's own
 * configuration, and the values travel on the channel's stdin as
 * NUL-terminated `NAME=value` records ended by an empty record. A fixed bash
 * bootstrap reads them, exports each one without evaluating it, and execs
 * the configured command with stdin from /dev/null.
 */

/** The exit status of the bootstrap when it refuses its input. */
export const BOOTSTRAP_REFUSED = 125;

/** What `timeout` waits after its TERM before it sends KILL, in seconds. */
export const KILL_AFTER_SECONDS = 10;

/** The longest `timeoutSeconds` accepted: one week. */
export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

// Linux refuses to exec with any one environment string longer than this
// (MAX_ARG_STRLEN, 32 pages, including the terminating NUL).
const MAX_RECORD_BYTES = 131_071;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Names that would change how the bootstrap, the dynamic loader or bash
// itself behave before the configured command starts. The message contract
// keeps a wider list away from custom attributes; this is the floor the SSH
// layer holds on its own, and the bootstrap checks it again remotely.
const RESERVED_EXACT = new Set([
  "PATH",
  "IFS",
  "ENV",
  "CDPATH",
  "GLOBIGNORE",
  "SHELLOPTS",
  "PS4",
  "PROMPT_COMMAND",
]);
const RESERVED_PREFIXES = ["BASH", "LD_", "bii_"];

function reservedPattern(): string {
  const prefixes = RESERVED_PREFIXES.map((p) => `${p}*`);
  return [...RESERVED_EXACT, ...prefixes].join("|");
}

// A bootstrap step that stops with an explanation on stderr.
function refuse(why: string): string {
  return `{ echo "bii-relay: ${why}" >&2; exit ${BOOTSTRAP_REFUSED}; }`;
}

/**
 * The bootstrap, run as `bash -c BOOTSTRAP bii-relay MODE ARGV...` with the
 * records of {@link encodeEnvironment} on stdin.
 *
 * It is one line with no `!`, no newline and no single quote, so that it
 * survives being single-quoted for any login shell, csh and tcsh included.
 * Its own variables start with `bii_`, a prefix no record may use. It runs
 * nothing unless the end-of-records marker arrived. MODE is
 * `--append-version` (pass "$VERSION" as the last argument, as the original
 * `/bin/bash $SCRIPT $VERSION` did) or `--no-version`.
 */
const BOOTSTRAP = [
  "set -u;",
  "bii_ended=0;",
  // Each record is exported as data; its value is never parsed as code.
  'while IFS= read -r -d "" bii_record; do',
  "if [[ -z $bii_record ]]; then bii_ended=1; break; fi;",
  "bii_name=${bii_record%%=*};",
  `[[ $bii_record == *=* && $bii_name =~ ${NAME_PATTERN.source} ]] || ${refuse("malformed environment record on stdin")};`,
  `case $bii_name in ${reservedPattern()}) ${refuse("refusing to set $bii_name")};; esac;`,
  `export "$bii_name=\${bii_record#*=}" || exit ${BOOTSTRAP_REFUSED};`,
  "done;",
  `[[ $bii_ended == 1 ]] || ${refuse("stdin ended before the end of the environment records")};`,
  "case ${1-} in",
  `--append-version) shift; [[ -v VERSION ]] || ${refuse("no VERSION to append")}; set -- "$@" "$VERSION";;`,
  "--no-version) shift;;",
  `*) ${refuse("unknown mode ${1-}")};;`,
  "esac;",
  `[[ $# -gt 0 ]] || ${refuse("no command to run")};`,
  'exec "$@" </dev/null',
].join(" ");

/** What to run on the login node. */
export interface RemoteCommandSpec {
  /** The program and its arguments, from configuration (never a message). */
  argv: string[];
  /** Pass the VERSION record's value as the last argument. */
  appendVersion: boolean;
  /**
   * Stop the command on the cluster after this many seconds (TERM, then KILL
   * {@link KILL_AFTER_SECONDS} later), even if the SSH connection is gone.
   */
  timeoutSeconds?: number;
}

/**
 * Quotes one word for a POSIX shell (or csh) command line: single quotes,
 * with each `'` written as `'\''`.
 * @throws Error when the word contains NUL, which no command line can carry
 */
export function shellQuote(word: string): string {
  if (word.includes("\0")) {
    throw new Error(
      `cannot quote ${JSON.stringify(word)} for a shell: it contains a NUL byte`,
    );
  }
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The command line for the login node: the fixed bootstrap, its mode and
 * the quoted argv, under `timeout` when `timeoutSeconds` is given.
 * @throws Error when argv is empty or a word cannot pass every login shell,
 *   or when timeoutSeconds is not a whole number of seconds in range
 */
export function buildRemoteCommand(spec: RemoteCommandSpec): string {
  if (spec.argv.length === 0) {
    throw new Error(
      "argv is empty (expected the program to run and its arguments)",
    );
  }
  spec.argv.forEach(checkArgument);

  const argv =
    spec.timeoutSeconds === undefined
      ? spec.argv
      : [...timeoutPrefix(spec.timeoutSeconds), ...spec.argv];
  const mode = spec.appendVersion ? "--append-version" : "--no-version";

  return ["bash", "-c", shellQuote(BOOTSTRAP), "bii-relay", mode]
    .concat(argv.map(shellQuote))
    .join(" ");
}

function checkArgument(word: string, index: number): void {
  // A csh or tcsh login shell ends a quoted word at a newline and expands
  // `!` even inside single quotes, so such words would not arrive intact.
  const bad = /[\0\n\r!]/.exec(word);
  if (bad !== null) {
    throw new Error(
      `argv[${index}] ${JSON.stringify(word)} contains ${JSON.stringify(bad[0])}, which a login shell may not pass through intact (expected one line without '!' or NUL)`,
    );
  }
}

function timeoutPrefix(seconds: number): string[] {
  if (
    !Number.isInteger(seconds) ||
    seconds < 1 ||
    seconds > MAX_TIMEOUT_SECONDS
  ) {
    throw new Error(
      `timeoutSeconds ${seconds} is not allowed (expected a whole number from 1 to ${MAX_TIMEOUT_SECONDS})`,
    );
  }
  return ["timeout", "-k", String(KILL_AFTER_SECONDS), String(seconds)];
}

/**
 * Encodes environment variables for the bootstrap's stdin: one
 * NUL-terminated `NAME=value` record each, then an empty record that marks
 * the end.
 * @throws Error naming the variable when a name is not a plain shell name or
 *   is reserved, or when a value contains NUL or is too long to exec with
 */
export function encodeEnvironment(env: Record<string, string>): Buffer {
  const records: Buffer[] = [];

  for (const [name, value] of Object.entries(env)) {
    checkName(name);
    if (value.includes("\0")) {
      throw new Error(
        `environment variable ${name} contains a NUL byte, which no environment can carry`,
      );
    }

    const record = Buffer.from(`${name}=${value}\0`);
    if (record.length - 1 > MAX_RECORD_BYTES) {
      throw new Error(
        `environment variable ${name} would be ${record.length - 1} bytes as NAME=value; Linux execs with at most ${MAX_RECORD_BYTES} per variable`,
      );
    }
    records.push(record);
  }
  // The empty record marks the end, so that input cut short (a dropped
  // connection) is refused rather than run with variables missing.
  records.push(Buffer.from("\0"));
  return Buffer.concat(records);
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new Error(
      `environment variable name ${JSON.stringify(name)} is not allowed (expected a letter or underscore, then letters, digits or underscores)`,
    );
  }

  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (RESERVED_EXACT.has(name) || prefix !== undefined) {
    throw new Error(
      `environment variable name ${name} is reserved: it changes how the remote shell or loader behaves`,
    );
  }
}
