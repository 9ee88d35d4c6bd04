import {
  customNameProblem,
  MAX_ATTRIBUTE_VALUE_BYTES,
} from "../protocol/message.js";
import { InputError } from "./input-error.js";

// A KEY=value line: a key without ':' or spaces, then '='. A YAML line such
// as `url: http://x?a=b` has its ':' first and does not match.
const KEY_VALUE_LINE = /^\s*([^\s:=#]+)\s*=(.*)$/;

// Characters SQS accepts in a String attribute value (its XML 1.0 set).
const INVALID_VALUE_CHAR =
  /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * Parses the `attributes` input: either KEY=value lines or a YAML map of
 * scalars. Blank lines and lines starting with '#' are ignored in the line
 * form. YAML scalars stay text exactly as written, so `1.10` stays "1.10".
 * @throws InputError naming the bad key and the rule it breaks
 */
export async function parseAttributes(
  text: string,
): Promise<Record<string, string>> {
  const lines = text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
  const pairs = lines.every((line) => KEY_VALUE_LINE.test(line))
    ? keyValueLines(lines)
    : await yamlMap(text);

  const attributes: Record<string, string> = {};
  for (const [name, value] of pairs) {
    checkAttribute(name, value, attributes);
    attributes[name] = value;
  }
  return attributes;
}

function keyValueLines(lines: string[]): [string, string][] {
  return lines.map((line) => {
    const [, name = "", value = ""] = KEY_VALUE_LINE.exec(line) ?? [];
    return [name, value.trim()];
  });
}

async function yamlMap(text: string): Promise<[string, string][]> {
  // Loaded only for YAML input: it is most of the bundle's startup cost.
  const { parse } = await import("yaml");
  let value: unknown;
  try {
    // The failsafe schema keeps every scalar a string: no 1.10 -> 1.1,
    // no `on` -> true.
    value = parse(text, { schema: "failsafe", uniqueKeys: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(
      "attributes",
      `is neither KEY=value lines nor a YAML map (${reason.split("\n")[0] ?? ""})`,
      { cause: error },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(
      "attributes",
      `is neither KEY=value lines nor a YAML map (expected lines such as 'PARTITION=gpu' or 'PARTITION: gpu')`,
    );
  }

  return Object.entries(value).map(([name, item]) => {
    if (typeof item !== "string") {
      throw new InputError(
        "attributes",
        `the value of '${name}' is a ${Array.isArray(item) ? "list" : "map"} (expected a single value, text or a number)`,
      );
    }
    return [name, item];
  });
}

function checkAttribute(
  name: string,
  value: string,
  seen: Record<string, string>,
): void {
  const problem = customNameProblem(name);
  if (problem !== undefined) {
    throw new InputError(
      "attributes",
      `name '${name}' is not allowed: ${problem}`,
    );
  }

  if (Object.hasOwn(seen, name)) {
    throw new InputError(
      "attributes",
      `'${name}' is given twice (expected each name once)`,
    );
  }

  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_ATTRIBUTE_VALUE_BYTES) {
    throw new InputError(
      "attributes",
      `the value of '${name}' is ${bytes} bytes (expected at most ${MAX_ATTRIBUTE_VALUE_BYTES}: it reaches the job as one environment variable)`,
    );
  }

  const bad = INVALID_VALUE_CHAR.exec(value);
  if (bad !== null) {
    const code = bad[0].codePointAt(0)?.toString(16).padStart(4, "0") ?? "";
    throw new InputError(
      "attributes",
      `the value of '${name}' contains the character U+${code.toUpperCase()}, which SQS refuses in an attribute (expected text without control characters other than tab and newline)`,
    );
  }
}
