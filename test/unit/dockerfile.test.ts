import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import {
  checkoutPath,
  copyOf,
  dockerfile,
  execForm,
  finalStage,
} from "../support/dockerfile.js";
import { repoRoot } from "../support/stack.js";

const all = dockerfile();
const image = finalStage(all);

function valuesOf(keyword: string): string[] {
  return image.filter((i) => i.keyword === keyword).map((i) => i.args);
}

describe("the Dockerfile", () => {
  it("builds every stage on the Node 24 slim image, in two stages", () => {
    const bases = all.filter((i) => i.keyword === "FROM").map((i) => i.args);

    expect(bases).toEqual(["node:24-slim AS build", "node:24-slim"]);
  });

  it("copies from the build context only files that exist and .dockerignore lets through", () => {
    const allowed = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("!"))
      .map((l) => l.slice(1).replace(/\/$/, ""));
    const sources = all
      .filter((i) => i.keyword === "COPY")
      .map(copyOf)
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources.map((s) => s.replace(/\/$/, "")));

    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source))).toBe(true);
      expect(allowed).toContain(source);
    }
  });

  it("puts the compiled relay and protocol, which tsc emits, into the image", () => {
    const copied = image
      .filter((i) => i.keyword === "COPY")
      .map(copyOf)
      .filter((c) => c.from === "build");

    expect(copied.map((c) => c.destination).sort()).toEqual([
      "protocol/",
      "relay/",
    ]);
    for (const copy of copied) {
      for (const source of copy.sources) {
        expect(existsSync(checkoutPath(source, all))).toBe(true);
      }
    }
  });

  it("installs production dependencies only in the image", () => {
    const runs = valuesOf("RUN").join("\n");

    expect(runs).toMatch(/npm ci --omit=dev/);
  });

  it("runs as a user other than root", () => {
    const [user] = valuesOf("USER");

    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user?.split(":")[0]);
  });

  it("starts relay/cli.js with run by default, a file the build emits", () => {
    const entrypoint = execForm(image, "ENTRYPOINT");
    const script = entrypoint.find((a) => a.endsWith(".js")) ?? "";

    expect(entrypoint[0]).toBe("node");
    expect(script).toBe("relay/cli.js");
    expect(existsSync(join(repoRoot, "build", script))).toBe(true);
    expect(execForm(image, "CMD")).toEqual(["run"]);
  });

  it("checks /healthz on the relay's HTTP port", () => {
    const [check] = valuesOf("HEALTHCHECK");
    const env = valuesOf("ENV").join(" ");

    expect(check).toMatch(/CMD .*\/healthz/);
    expect(env).toMatch(/RELAY_HTTP_PORT=8080/);
    expect(valuesOf("EXPOSE")).toEqual(["8080"]);
  });

  it("reads the SSH key and known_hosts from mounted secret files", () => {
    const env = valuesOf("ENV").join(" ");

    expect(env).toMatch(/SSH_KEY_FILE=\/run\/secrets\/\S+/);
    expect(env).toMatch(/SSH_KNOWN_HOSTS=\/run\/secrets\/\S+/);
  });
});
