/**
 * The message contract between the GitHub Action, which publishes one SQS
 * message per push, tag or release, and the relay, which turns it into a
 * SLURM job. Both sides import this module; nothing else defines the format.
 *
 * A message is a JSON body (the source of truth, and what the signature
 * covers) plus copies of its key fields as String message attributes, so
 * queue consoles, filters and legacy consumers (which read `VERSION`) can see
 * them without parsing the body.
 */

/** The contract version carried in every body as `contract`. */
export const CONTRACT_VERSION = 1;

/** The body of a contract message. */
export interface JobMessage {
  /** Contract version; a relay refuses versions it does not know. */
  contract: typeof CONTRACT_VERSION;
  /** GitHub event name: `push`, `release`, `workflow_dispatch`, ... */
  event: string;
  /** `owner/name`. */
  repository: string;
  /** The commit, 40 (SHA-1) or 64 (SHA-256) hex digits. */
  sha: string;
  /** Full ref, such as `refs/heads/main` or `refs/tags/v1.2.3`. */
  ref: string;
  /** Release version without a leading `v`; empty for a branch push. */
  version: string;
  /** Login of the user who triggered the event. */
  actor: string;
  /** Workflow run id, as a decimal string. */
  runId: string;
  /** Link to the workflow run. */
  runUrl: string;
  /** Custom key/values for the job, exported to its environment. */
  attributes: Record<string, string>;
  /** When the message was built, ISO 8601 UTC; signed messages expire. */
  timestamp: string;
}

/** An SQS String message attribute as the SDK takes and returns it. */
export interface StringAttribute {
  DataType: "String";
  StringValue: string;
}

/**
 * Names of the message attributes the contract sets itself. `VERSION` is the
 * name the original Travis template and its consumers used.
 */
export const ATTRIBUTE = {
  event: "EVENT",
  repository: "REPOSITORY",
  sha: "SHA",
  ref: "REF",
  version: "VERSION",
  signature: "SIGNATURE",
} as const;

/** SQS allows at most this many message attributes on one message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * The longest custom attribute value, in UTF-8 bytes: Linux refuses to
 * start a program with any one environment string over 128 KiB, and the
 * value reaches the job as one.
 */
export const MAX_ATTRIBUTE_VALUE_BYTES = 64 * 1024;

/** SQS's limit for body plus attribute names, types and values, in bytes. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Custom attribute names: usable both as SQS attribute names and as
 * environment variable names in the job, which is where they end up.
 */
export const CUSTOM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Names a custom attribute may not take: the message attributes the contract
 * sets itself (a custom `SHA` would replace the real one in what queue tools
 * show), the variables the relay sets itself, and variables that change how
 * a shell, the dynamic loader, an interpreter or SLURM behaves, so that a
 * message can never turn into code on the cluster through its environment.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.values(ATTRIBUTE),
  "GIT_REPO",
  "GIT_SHA",
  "GIT_REF",
  "GIT_ACTOR",
  "GITHUB_RUN_ID",
  "GITHUB_RUN_URL",
  "BII_MESSAGE_ID",
  "BII_EVENT_KEY",
  "PATH",
  "HOME",
  "SHELL",
  "USER",
  "LOGNAME",
  "IFS",
  "ENV",
  "CDPATH",
  "GLOBIGNORE",
  "PS4",
  "PROMPT_COMMAND",
  "SHELLOPTS",
  "TMPDIR",
  "NODE_OPTIONS",
  "NODE_PATH",
  "PERL5OPT",
  "PERL5LIB",
  "PERLLIB",
  "RUBYOPT",
  "RUBYLIB",
  "JAVA_TOOL_OPTIONS",
  "_JAVA_OPTIONS",
  "JDK_JAVA_OPTIONS",
  "CLASSPATH",
  "GCONV_PATH",
  "GLIBC_TUNABLES",
  "LOCPATH",
  "NLSPATH",
  "HOSTALIASES",
  "LESSOPEN",
  "LESSCLOSE",
  "PAGER",
  "EDITOR",
  "VISUAL",
  "BROWSER",
  "INPUTRC",
  "MODULEPATH",
  "GNUPGHOME",
]);

/**
 * Prefixes no custom attribute name may start with (case-insensitive). The
 * relay's remote bootstrap refuses `BASH*`, `LD_*` and `bii_*` names on its
 * own as well; this list keeps every such name out of a message first.
 */
export const RESERVED_PREFIXES = [
  "LD_",
  "DYLD_",
  "BASH",
  // git reads its configuration, and so commands to run, from GIT_CONFIG_*
  // and GIT_SSH_COMMAND; the relay sets GIT_REPO, GIT_SHA and GIT_REF.
  "GIT_",
  "PYTHON",
  // MPI launchers, container runtimes and the module system on HPC login
  // nodes take programs to run and paths to load from their variables.
  "OMPI_",
  "PMIX_",
  "PRTE_",
  "I_MPI_",
  "MPICH_",
  "HYDRA_",
  "UCX_",
  "APPTAINER",
  "SINGULARITY",
  "LMOD_",
  "LUA_",
  "R_",
  "JULIA_",
  "CONDA",
  "PIP_",
  "NPM_CONFIG_",
  "XDG_",
  "SLURM_",
  "SBATCH_",
  "SRUN_",
  "SALLOC_",
  "AWS",
  "AMAZON",
  "BII_",
] as const;

/**
 * Why a custom attribute name is not allowed, or undefined when it is.
 * @param name - the attribute name as given
 */
export function customNameProblem(name: string): string | undefined {
  if (!CUSTOM_NAME_PATTERN.test(name)) {
    return "expected a letter or underscore, then letters, digits or underscores, at most 128 characters";
  }

  const upper = name.toUpperCase();
  if (RESERVED_NAMES.has(upper)) {
    return "the name is reserved: the relay sets it or it changes how the job's shell runs";
  }

  const prefix = RESERVED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix !== undefined) {
    return `names starting with '${prefix}' are reserved`;
  }
  return undefined;
}
