/**
 * The architecture rules of eslint.config.js, tested by planting violations: a lower layer
 * importing a higher one, and an import cycle, must each fail the lint; and every folder of
 * src/ must be in the layer list (a folder left out would escape the rule).
 */
import fs from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./paths.ts";

/** Lint files planted in src/ for one test, then remove them. */
async function lintPlanted(files: Record<string, string>): Promise<ESLint.LintResult[]> {
  const written = Object.keys(files).map((relative) => path.join(repoRoot, relative));
  try {
    for (const [relative, text] of Object.entries(files)) fs.writeFileSync(path.join(repoRoot, relative), text);
    const eslint = new ESLint({ cwd: repoRoot });
    return await eslint.lintFiles(written);
  } finally {
    for (const file of written) fs.rmSync(file, { force: true });
  }
}

const messagesOf = (results: ESLint.LintResult[]): string[] => results.flatMap((r) => r.messages.map((m) => `${m.ruleId ?? ""}: ${m.message}`));

describe("architecture rules (eslint.config.js)", () => {
  it("lists every folder of src/ as a layer, and no layer that does not exist", async () => {
    const { layers } = (await import(path.join(repoRoot, "eslint.config.js"))) as { layers: string[] };
    const folders = fs
      .readdirSync(path.join(repoRoot, "src"), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect([...layers].sort()).toEqual(folders);
  });

  it("fails a planted wrong-way import (kernels importing diagnosis)", async () => {
    const results = await lintPlanted({
      "src/kernels/plantedWrongWay.ts": 'import { FARADAY } from "../core/constants.ts";\nimport { resolveLaws } from "../diagnosis/diagnose.ts";\nexport const planted = [FARADAY, resolveLaws];\n',
    });
    const messages = messagesOf(results);
    expect(messages.some((m) => /no-restricted-imports: .*layer "kernels" must not import from the higher layer "diagnosis"/.test(m)), messages.join("\n")).toBe(true);
    expect(messages.some((m) => m.includes("core/constants")), "a downward import is allowed").toBe(false);
  }, 120_000);

  it("fails a planted import cycle between two files", async () => {
    const results = await lintPlanted({
      "src/core/plantedCycleA.ts": 'import { b } from "./plantedCycleB.ts";\nexport const a = (): number => b() + 1;\n',
      "src/core/plantedCycleB.ts": 'import { a } from "./plantedCycleA.ts";\nexport const b = (): number => (Math.random() > 2 ? a() : 0);\n',
    });
    const messages = messagesOf(results);
    expect(messages.filter((m) => m.startsWith("import-x/no-cycle")).length, messages.join("\n")).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
