import {
  CONTRACT_VERSION,
  customNameProblem,
  type JobMessage,
  MAX_ATTRIBUTE_VALUE_BYTES,
} from "./message.js";

/** A body that does not follow the contract; `problems` names each field. */
export class ContractError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`message body does not follow the contract: ${problems.join("; ")}`);
    this.name = "ContractError";
    this.problems = problems;
  }
}

// Control characters have no place in refs, names or versions; they are
// allowed only in custom attribute values (newlines, tabs), never NUL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

// The characters SQS accepts in bodies and attribute values.
const SQS_TEXT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const RULES: Record<string, [RegExp, string]> = {
  event: [/^[a-z_]{1,64}$/, "a GitHub event name such as 'push'"],
  repository: [
    /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/,
    "'owner/name'",
  ],
  sha: [/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i, "40 or 64 hex digits"],
  runId: [/^[0-9]{0,20}$/, "a decimal run id"],
};

const TEXT_LIMITS: Record<string, number> = {
  ref: 1024,
  version: 256,
  actor: 256,
  runUrl: 2048,
};

/** Whether a string looks like a contract body rather than a plain one. */
export function looksLikeContract(body: string): boolean {
  return body.trimStart().startsWith("{");
}

/**
 * Checks a message built from a legacy (plain body) message: the same rules,
 * except that the original template sent no SHA or ref.
 * @throws ContractError naming every field that is wrong
 */
export function checkLegacyFields(message: JobMessage): void {
  const problems = fieldProblems({
    ...message,
    sha: message.sha === "" ? "0".repeat(40) : message.sha,
  });
  if (problems.length > 0) {
    throw new ContractError(problems);
  }
}

/**
 * Parses and checks a contract body.
 * @param body - the SQS message body
 * @throws ContractError naming every field that is wrong
 */
export function parseMessage(body: string): JobMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ContractError([`the body is not valid JSON (${reason})`]);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ContractError(["the body is not a JSON object"]);
  }

  const problems = fieldProblems(value as Record<string, unknown>);
  if (problems.length > 0) {
    throw new ContractError(problems);
  }
  return value as JobMessage;
}

function fieldProblems(body: Record<string, unknown>): string[] {
  const problems: string[] = [];

  if (body.contract !== CONTRACT_VERSION) {
    problems.push(
      `contract ${quote(body.contract)} is not supported (expected ${CONTRACT_VERSION})`,
    );
  }

  for (const [field, [pattern, expected]] of Object.entries(RULES)) {
    const v = body[field];
    if (typeof v !== "string" || !pattern.test(v)) {
      problems.push(`${field} ${quote(v)} is not valid (expected ${expected})`);
    }
  }

  for (const [field, limit] of Object.entries(TEXT_LIMITS)) {
    const v = body[field];
    if (typeof v !== "string" || v.length > limit || CONTROL.test(v)) {
      problems.push(
        `${field} ${quote(v)} is not valid (expected a string of at most ${limit} characters without control characters)`,
      );
    }
  }

  if (typeof body.timestamp !== "string" || !isTimestamp(body.timestamp)) {
    problems.push(
      `timestamp ${quote(body.timestamp)} is not valid (expected an ISO 8601 time such as 2026-01-31T12:00:00.000Z)`,
    );
  }

  problems.push(...attributeProblems(body.attributes));
  return problems;
}

function attributeProblems(attributes: unknown): string[] {
  if (
    typeof attributes !== "object" ||
    attributes === null ||
    Array.isArray(attributes)
  ) {
    return [
      `attributes ${quote(attributes)} is not valid (expected an object of strings)`,
    ];
  }

  const problems: string[] = [];
  for (const [name, v] of Object.entries(attributes)) {
    const nameProblem = customNameProblem(name);
    if (nameProblem !== undefined) {
      problems.push(
        `attribute name ${quote(name)} is not allowed: ${nameProblem}`,
      );
    }
    if (typeof v !== "string" || !SQS_TEXT.test(v)) {
      problems.push(
        `attribute ${quote(name)} has value ${quote(v)} (expected text SQS accepts: no control characters other than tab, newline and carriage return)`,
      );
    } else if (Buffer.byteLength(v) > MAX_ATTRIBUTE_VALUE_BYTES) {
      problems.push(
        `attribute ${quote(name)} is ${Buffer.byteLength(v)} bytes (expected at most ${MAX_ATTRIBUTE_VALUE_BYTES}: it reaches the job as one environment variable)`,
      );
    }
  }
  return problems;
}

// A zone is required: without one Date.parse reads local time, and the
// relay's expiry check would move with the relay's time zone.
const TIMESTAMP =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

function isTimestamp(value: string): boolean {
  return TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

/** Quotes a value for an error message, shortened so logs stay readable. */
export function quote(value: unknown): string {
  const text = value === undefined ? "undefined" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
