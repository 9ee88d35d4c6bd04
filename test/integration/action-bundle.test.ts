import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import { repoRoot } from "../support/stack.js";

const run = promisify(execFile);

/** The ncc arguments of `npm run bundle`, writing to `out`. */
function bundleArguments(out: string): string[] {
  const manifest = JSON.parse(
    readFileSync(join(repoRoot, "package.json"), "utf8"),
  ) as { scripts: Record<string, string> };
  const script = manifest.scripts.bundle ?? "";
  const ncc = /ncc (build .*)$/.exec(script)?.[1];
  if (ncc === undefined) {
    throw new Error(`the bundle script '${script}' runs no 'ncc build'`);
  }
  return ncc.replace("--out dist", `--out ${out}`).split(/\s+/);
}

function files(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir).map((name) => [
      name,
      readFileSync(join(dir, name), "utf8"),
    ]),
  );
}

describe("the committed bundle", () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "bii-bundle-"));
  });

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it("is what bundling the current sources produces (run 'npm run bundle' and commit dist/ if not)", async () => {
    const ncc = join(repoRoot, "node_modules/@vercel/ncc/dist/ncc/cli.js");

    await run(process.execPath, [ncc, ...bundleArguments(out)], {
      cwd: repoRoot,
    });

    const built = files(out);
    const committed = files(join(repoRoot, "dist"));
    expect(Object.keys(committed).sort()).toEqual(Object.keys(built).sort());
    for (const [name, text] of Object.entries(built)) {
      expect({ name, same: committed[name] === text }).toEqual({
        name,
        same: true,
      });
    }
  });
});
