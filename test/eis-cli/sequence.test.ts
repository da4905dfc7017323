/** `strata eis sequence` and the DRT's edge flags through the real binary, on three of the SNS Cu/THF spectra. */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { impedanceSequence } from "../../src/api/impedance.ts";
import { runCli } from "../cli/run.ts";
import { sharedRoot } from "../paths.ts";

const folder = path.join(sharedRoot, "realdata", "sns-cu-thf-2025", "eis");
const files = ["PEIS_seq03.mpt", "PEIS_seq01.mpt", "PEIS_seq02.mpt"].map((f) => path.join(folder, f));
const circuit = "R0-p(R1,CPE1)-p(R2,CPE2)";

describe("strata eis sequence", () => {
  it("--json equals the API's report; the text table is in time order with the files' start times", () => {
    const cli = runCli(["eis", "sequence", ...files, "--circuit", circuit, "--drop-inductive", "--json"]);
    expect(cli.status, cli.stderr).toBe(0);
    const api: unknown = JSON.parse(JSON.stringify(impedanceSequence(circuit, files, { weights: "modulus", capacitance: "hsu-mansfeld", dropInductive: true })));
    expect(JSON.parse(cli.stdout)).toEqual(api);
    const text = runCli(["eis", "sequence", ...files, "--circuit", circuit, "--drop-inductive"]);
    expect(text.status, text.stderr).toBe(0);
    const rows = text.stdout.split("\n").filter((l) => l.startsWith("PEIS"));
    expect(rows.map((r) => r.split("\t")[0])).toEqual(["PEIS_seq01.mpt", "PEIS_seq02.mpt", "PEIS_seq03.mpt"]);
    expect(rows[0].split("\t")[2]).toBe("2025-04-20T11:03:44.483");
  });

  it("bad input: one line, exit 2", () => {
    for (const args of [
      ["eis", "sequence", files[0], "--circuit", "R0-Zarc1"],
      ["eis", "sequence", files[0], "--circuit", circuit, "--capacitance", "other"],
      ["eis", "sequence", path.join(folder, "missing.mpt"), "--circuit", circuit],
    ]) {
      const result = runCli(args);
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n").length).toBe(1);
    }
  });

  it("strata eis drt says an arc does not close and reports the windowed polarisation", () => {
    const result = runCli(["eis", "drt", files[1], "--extend", "2"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/in the measured window: [\d.]+ ohm/);
    expect(result.stdout).toMatch(/does not close at the low-frequency edge/);
  });
});
