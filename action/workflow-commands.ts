/**
 * The runner's side of a step: workflow commands on stdout and the files it
 * names in GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. @actions/core does the
 * same, but its root import loads an HTTP client (undici) for OIDC that we
 * never use, which measured ~60 ms of a ~100 ms run; these few commands are
 * the documented runner protocol and need nothing but node:fs.
 */
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";

type Properties = Record<string, string | undefined>;

// The runner reads one command per line, so data and properties escape the
// characters that would end the line or the property list.
function escapeData(value: string): string {
  return value
    .replaceAll("%", "%25")
    .replaceAll("\r", "%0D")
    .replaceAll("\n", "%0A");
}

function escapeProperty(value: string): string {
  return escapeData(value).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

function command(name: string, message: string, properties?: Properties) {
  const props = Object.entries(properties ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(",");
  const head = props === "" ? name : `${name} ${props}`;
  process.stdout.write(`::${head}::${escapeData(message)}\n`);
}

/** Writes a line to the step log. */
export function info(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** Writes a line shown only when step debug logging is on. */
export function debug(message: string): void {
  command("debug", message);
}

/** Annotates the run with a notice. */
export function notice(message: string, title?: string): void {
  command("notice", message, { title });
}

/** Annotates the run with a warning. */
export function warning(message: string): void {
  command("warning", message);
}

/** Annotates the run with an error (it does not fail the step by itself). */
export function error(message: string): void {
  command("error", message);
}

/** Makes the runner replace `secret` with *** in every later log line. */
export function setSecret(secret: string): void {
  if (secret === "") {
    return;
  }

  command("add-mask", secret);
  // The runner masks log lines one at a time, and older runners register a
  // multi-line value only whole, which then matches no line: each line is
  // masked too.
  const lines = secret.split(/[\r\n]+/).filter((line) => line !== "");
  if (lines.length > 1) {
    lines.forEach((line) => {
      command("add-mask", line);
    });
  }
}

/** Starts a collapsible group of log lines; end it with endGroup(). */
export function startGroup(title: string): void {
  command("group", title);
}

/** Ends the group started by startGroup(). */
export function endGroup(): void {
  command("endgroup", "");
}

/**
 * Sets a step output. A random delimiter keeps a value that contains
 * newlines (a JSON body) from ending the entry early.
 * @param env - the environment holding GITHUB_OUTPUT
 */
export function setOutput(
  env: NodeJS.ProcessEnv,
  name: string,
  value: string,
): void {
  const file = env.GITHUB_OUTPUT;
  if (file === undefined || file === "") {
    // Outside a runner (a local run) the output can only be logged.
    debug(`output ${name}=${value}`);
    return;
  }

  const delimiter = `ghadelimiter_${randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

/**
 * Appends Markdown to the job summary, when the runner offers one.
 * @param env - the environment holding GITHUB_STEP_SUMMARY
 */
export function appendSummary(env: NodeJS.ProcessEnv, markdown: string): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file !== undefined && file !== "") {
    appendFileSync(file, markdown);
  }
}
