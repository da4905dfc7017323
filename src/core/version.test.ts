import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../test/paths.ts";
import { STRATA_VERSION } from "./version.ts";

describe("STRATA_VERSION", () => {
  it("equals package.json's version", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(STRATA_VERSION).toBe(pkg.version);
  });
});
