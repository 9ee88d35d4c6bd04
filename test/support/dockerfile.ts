/**
 * Reads the repository's Dockerfile well enough for tests to check what the
 * image copies and runs, and to lay out a directory as the image does.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { repoRoot } from "./stack.js";

/** One instruction, continuation lines joined. */
export interface Instruction {
  /** 0 for the first FROM's stage, 1 for the next, ... */
  stage: number;
  keyword: string;
  args: string;
}

/** A COPY: its stage (undefined for the build context) and paths. */
export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

/** The instructions of the repository's Dockerfile. */
export function dockerfile(): Instruction[] {
  const text = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
  const joined = text.replace(/\\\n/g, " ");
  const instructions: Instruction[] = [];
  let stage = -1;

  for (const line of joined.split("\n")) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (match === null || line.trimStart().startsWith("#")) {
      continue;
    }
    const keyword = (match[1] ?? "").toUpperCase();
    stage += keyword === "FROM" ? 1 : 0;
    instructions.push({ stage, keyword, args: (match[2] ?? "").trim() });
  }
  return instructions;
}

/** The instructions of the last stage: what the image runs. */
export function finalStage(all = dockerfile()): Instruction[] {
  const last = Math.max(...all.map((i) => i.stage));
  return all.filter((i) => i.stage === last);
}

/** Splits a COPY instruction's arguments. */
export function copyOf(instruction: Instruction): Copy {
  const words = instruction.args.split(/\s+/);
  const from = words
    .find((w) => w.startsWith("--from="))
    ?.slice("--from=".length);
  const paths = words.filter((w) => !w.startsWith("--"));
  return {
    from,
    sources: paths.slice(0, -1),
    destination: paths[paths.length - 1] ?? "",
  };
}

/** An exec-form instruction's arguments (ENTRYPOINT, CMD). */
export function execForm(
  instructions: Instruction[],
  keyword: string,
): string[] {
  const found = instructions.filter((i) => i.keyword === keyword).at(-1);
  if (found === undefined) {
    throw new Error(`the Dockerfile's final stage has no ${keyword}`);
  }
  return JSON.parse(found.args) as string[];
}

/**
 * Where a path in the build stage is in this checkout: the build stage's
 * WORKDIR is the repository root.
 */
export function checkoutPath(stagePath: string, all = dockerfile()): string {
  const workdir = all.find((i) => i.stage === 0 && i.keyword === "WORKDIR");
  const root = workdir?.args ?? "/";
  if (!stagePath.startsWith(root)) {
    throw new Error(
      `'${stagePath}' is outside the build stage's WORKDIR '${root}'`,
    );
  }
  return join(repoRoot, stagePath.slice(root.length));
}
