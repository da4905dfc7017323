/** io/nexus: HDF5 files written here with h5wasm, read back through the mapping and the NXrefscan preset. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import h5wasm from "h5wasm/node";
import type { Group } from "h5wasm/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParseError, ValidationError } from "../../src/core/errors.ts";
import { nexusReaderStarts, readNexusReflectivity, type NexusMapping } from "../../src/io/nexus.ts";
import { FIRST_PRINCIPLES_RTOL } from "../tolerances.ts";
import { repoRoot } from "../paths.ts";

/** Bounded fuzzing in the test run (a few ms per case). */
const NEXUS_FUZZ_CASES = 150;
/** Points of the file whose read the 1-µs watchdog test abandons (a read of them takes tens of ms, far over the timer's 1 ms floor). */
const WATCHDOG_POINTS = 1_000_000;

let tmp = "";
beforeAll(async () => {
  await h5wasm.ready;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-nexus-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Writer = (root: Group) => void;
function writeH5(name: string, build: Writer): string {
  const file = path.join(tmp, name);
  const h5 = new h5wasm.File(file, "w");
  try {
    build(h5);
  } finally {
    h5.close();
  }
  return file;
}
const withClass = (group: Group, cls: string): Group => {
  group.create_attribute("NX_class", cls);
  return group;
};
const dataset = (group: Group, name: string, data: Float64Array | Int32Array | number | string, units?: string): void => {
  const d = group.create_dataset({ name, data });
  if (units !== undefined) d.create_attribute("units", units);
};

/** An NXrefscan entry: counts on the detector, 2θ in degrees, monochromator wavelength, monitor. */
function nxrefscan(root: Group, entryName: string, twoTheta: Float64Array, counts: Int32Array, monitor: number, wavelength: number): void {
  const entry = withClass(root.create_group(entryName), "NXentry");
  dataset(entry, "title", "operando Cu in EC");
  dataset(entry, "start_time", "2026-03-01T10:00:00Z");
  dataset(entry, "end_time", "2026-03-01T10:05:00Z");
  dataset(entry, "definition", "NXrefscan");
  const instrument = withClass(entry.create_group("instrument"), "NXinstrument");
  const source = withClass(instrument.create_group("source"), "NXsource");
  dataset(source, "probe", "x-ray");
  const mono = withClass(instrument.create_group("monochromator"), "NXmonochromator");
  dataset(mono, "wavelength", Float64Array.of(wavelength), "angstrom");
  const detector = withClass(instrument.create_group("pilatus"), "NXdetector");
  dataset(detector, "data", counts, "counts");
  dataset(detector, "polar_angle", twoTheta, "degrees");
  const sample = withClass(entry.create_group("sample"), "NXsample");
  dataset(sample, "name", "Cu/SEI");
  dataset(sample, "rotation_angle", twoTheta.map((x) => x / 2), "degrees");
  const control = withClass(entry.create_group("control"), "NXmonitor");
  dataset(control, "data", new Float64Array(counts.length).fill(monitor));
}

describe("readNexusReflectivity", () => {
  it("reads an NXrefscan file with the preset: Q from 2θ and λ, R = counts/monitor, Poisson dR, one curve per entry", async () => {
    const twoTheta = Float64Array.from({ length: 6 }, (_, i) => 0.2 + 0.3 * i);
    const counts = Int32Array.of(90000, 40000, 9000, 1200, 300, 0);
    const file = writeH5("refscan.nxs", (root) => {
      nxrefscan(root, "entry1", twoTheta, counts, 1e5, 1.54);
      nxrefscan(root, "entry2", twoTheta, counts, 2e5, 1.54);
    });
    const curves = await readNexusReflectivity(file);
    expect(curves.map((c) => c.entry)).toEqual(["/entry1", "/entry2"]);
    const [a, b] = curves;
    expect(a.q.length).toBe(5); // the zero-count point is dropped
    expect(a.warnings.some((w) => w.includes("dropped 1 points with zero counts"))).toBe(true);
    expect(a.warnings.some((w) => w.includes("no Q resolution"))).toBe(true);
    expect(a.dq).toBeUndefined();
    for (let i = 0; i < 5; i++) {
      const q = (4 * Math.PI * Math.sin(((twoTheta[i] / 2) * Math.PI) / 180)) / 1.54;
      expect(Math.abs(a.q[i] - q) / q).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      const r = counts[i] / 1e5;
      expect(Math.abs(a.r[i] - r) / r).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      const dr = r * Math.sqrt(1 / counts[i] + 1 / 1e5);
      expect(Math.abs(a.dr[i] - dr) / dr).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      expect(b.r[i]).toBeCloseTo(counts[i] / 2e5, 15);
    }
    expect(a.metadata).toMatchObject({ title: "operando Cu in EC", start_time: "2026-03-01T10:00:00Z", definition: "NXrefscan", probe: "x-ray", sample: "Cu/SEI" });
  });

  it("the compiled package (dist/, as the strata command runs it) reads the same file in its own worker thread", async () => {
    const twoTheta = Float64Array.from({ length: 6 }, (_, i) => 0.2 + 0.3 * i);
    const counts = Int32Array.of(90000, 40000, 9000, 1200, 300, 10);
    const file = writeH5("compiled.nxs", (root) => nxrefscan(root, "entry1", twoTheta, counts, 1e5, 1.54));
    const [inProcess] = await readNexusReflectivity(file);
    const script = `import { readNexusReflectivity, closeNexusReader } from ${JSON.stringify(pathToFileURL(path.join(repoRoot, "dist", "index.js")).href)};
const [c] = await readNexusReflectivity(${JSON.stringify(file)});
await closeNexusReader();
console.log(JSON.stringify({ q: Array.from(c.q), r: Array.from(c.r), dr: Array.from(c.dr) }));`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(result.stderr).toBe("");
    const compiled = JSON.parse(result.stdout) as { q: number[]; r: number[]; dr: number[] };
    expect(compiled).toEqual({ q: Array.from(inProcess.q), r: Array.from(inProcess.r), dr: Array.from(inProcess.dr) });
  });

  it("reads a generic mapping with units (1/nm → Å⁻¹), FWHM dQ, time and absolute paths", async () => {
    const q = Float64Array.of(0.1, 0.2, 0.4);
    const file = writeH5("generic.h5", (root) => {
      const g = root.create_group("reduced");
      dataset(g, "Qz", q, "1/nm");
      dataset(g, "R", Float64Array.of(1, 0.1, 0.01));
      dataset(g, "sR", Float64Array.of(0.01, 0.001, 0.0001));
      dataset(g, "sQz", Float64Array.of(0.01, 0.01, 0.02), "nm^-1");
      dataset(g, "count_time", Float64Array.of(500, 1000, 2000), "ms");
    });
    const mapping: NexusMapping = { q: "/reduced/Qz", r: "/reduced/R", dr: "/reduced/sR", dq: "/reduced/sQz", time: "/reduced/count_time" };
    const [curve] = await readNexusReflectivity(file, { mapping, dqIs: "fwhm" });
    expect(curve.entry).toBe("/");
    expect(Array.from(curve.q)).toEqual([0.1 * 0.1, 0.2 * 0.1, 0.4 * 0.1].map((x) => expect.closeTo(x, 15) as number));
    const sigma = (0.01 * 0.1) / (2 * Math.sqrt(2 * Math.LN2));
    expect(curve.dq![0]).toBeCloseTo(sigma, 15);
    expect(Array.from(curve.time!)).toEqual([0.5, 1, 2]);
    expect(Array.from(curve.dr)).toEqual([0.01, 0.001, 0.0001]);
    expect(curve.warnings.filter((w) => w.includes("no units"))).toEqual([]); // dimensionless R, sR need no units attribute
  });

  it("names the file and the dataset path for missing and malformed datasets", async () => {
    const file = writeH5("broken.nxs", (root) => {
      const e = withClass(root.create_group("entry"), "NXentry");
      dataset(e, "q", Float64Array.of(0.01, 0.02, 0.03), "1/angstrom");
      dataset(e, "r", Float64Array.of(1, Number.NaN, 0.1));
      dataset(e, "dr", Float64Array.of(0.1, 0.1, 0.1));
      dataset(e, "short", Float64Array.of(0.1, 0.1));
      dataset(e, "text", "not numbers");
      dataset(e, "badunit", Float64Array.of(0.01, 0.02, 0.03), "furlong");
      e.create_dataset({ name: "matrix", data: Float64Array.of(1, 2, 3, 4, 5, 6), shape: [3, 2] });
    });
    const expectParse = async (mapping: NexusMapping, pattern: RegExp): Promise<void> => {
      const error = await readNexusReflectivity(file, { mapping }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).file).toBe(file);
      expect((error as ParseError).message).toMatch(pattern);
    };
    await expectParse({ q: "q", r: "missing/r", dr: "dr" }, /missing dataset \/entry\/missing\/r \(R\)/);
    await expectParse({ q: "q", r: "r", dr: "dr" }, /\/entry\/r\[1\]: R is not a finite number \(NaN\)/);
    await expectParse({ q: "q", r: "dr", dr: "short" }, /\/entry\/short has 2 values; \/entry\/q has 3/);
    await expectParse({ q: "q", r: "text", dr: "dr" }, /\/entry\/text \(R\) must be numeric/);
    await expectParse({ q: "badunit", r: "dr", dr: "dr" }, /\/entry\/badunit has units "furlong"/);
    await expectParse({ q: "q", r: "matrix", dr: "dr" }, /\/entry\/matrix \(R\) must be one-dimensional/);
    await expectParse({ q: "q", r: "dr" }, /no uncertainty for R/);
  });

  it("refuses a missing file, a non-HDF5 file and a truncated HDF5 file with a ParseError (and no HDF5 diagnostics)", async () => {
    const good = writeH5("good.nxs", (root) => nxrefscan(root, "entry", Float64Array.of(0.5, 1), Int32Array.of(10, 5), 100, 1.54));
    const notH5 = path.join(tmp, "text.nxs");
    fs.writeFileSync(notH5, "Q R dR\n0.01 1 0.1\n");
    const truncated = path.join(tmp, "truncated.nxs");
    fs.writeFileSync(truncated, fs.readFileSync(good).subarray(0, 900));
    for (const [file, pattern] of [
      [path.join(tmp, "absent.nxs"), /cannot read file \(ENOENT\)/],
      [notH5, /not an HDF5 file/],
      [truncated, /cannot open as HDF5 \(.+\)|malformed HDF5/],
    ] as const) {
      const error = await readNexusReflectivity(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, file).toBeInstanceOf(ParseError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message).toContain(file);
    }
    // the reader still works after failures (files were closed)
    expect((await readNexusReflectivity(good))[0].q.length).toBe(2);
  });

  it("abandons a read that exceeds its time limit with a ParseError, replaces the HDF5 worker, and reads on", async () => {
    const good = writeH5("watchdog.nxs", (root) => nxrefscan(root, "entry", Float64Array.of(0.5, 1), Int32Array.of(10, 5), 100, 1.54));
    expect((await readNexusReflectivity(good))[0].q.length).toBe(2); // the worker is up
    const before = nexusReaderStarts();
    // a limit no read can meet stands in for a file on which the library loops (the fuzz test has
    // real ones). The timer cannot fire before 1 ms, and the two-point file was once read and
    // posted back within that (a CI run on a quiet machine): the abandoned read is of a file of
    // WATCHDOG_POINTS points, which takes the library tens of ms
    const slow = writeH5(
      "watchdog-large.nxs",
      (root) => nxrefscan(root, "entry", Float64Array.from({ length: WATCHDOG_POINTS }, (_, i) => 0.1 + (2 * i) / WATCHDOG_POINTS), new Int32Array(WATCHDOG_POINTS).fill(7), 100, 1.54),
    );
    const error = await readNexusReflectivity(slow, { timeoutMs: 1e-3 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message.startsWith(`${slow}: `)).toBe(true);
    expect((error as Error).message).toContain("the HDF5 library did not finish reading it within 0.000001 s");
    expect((await readNexusReflectivity(good))[0].q.length).toBe(2);
    expect(nexusReaderStarts()).toBe(before + 1);
    await expect(readNexusReflectivity(good, { timeoutMs: 0 })).rejects.toThrow(ValidationError);
  });

  it("refuses an ambiguous {NXclass} segment, naming the groups", async () => {
    const file = writeH5("twodetectors.nxs", (root) => {
      nxrefscan(root, "entry", Float64Array.of(0.5, 1), Int32Array.of(10, 5), 100, 1.54);
      const instrument = root.get("entry/instrument") as Group;
      const second = withClass(instrument.create_group("zz_second"), "NXdetector");
      dataset(second, "data", Int32Array.of(1, 1));
    });
    await expect(readNexusReflectivity(file)).rejects.toThrow(/several NXdetector groups \(pilatus, zz_second\)/);
  });

  it("mutated files (bit flips, truncation, overwritten numbers) give a curve or a ParseError, never another error", async () => {
    const good = writeH5("fuzz.nxs", (root) => {
      const e = withClass(root.create_group("entry"), "NXentry");
      dataset(e, "Q", Float64Array.from({ length: 50 }, (_, i) => 0.01 + i * 0.005), "1/angstrom");
      dataset(e, "R", Float64Array.from({ length: 50 }, (_, i) => 1 / (1 + i)));
      dataset(e, "dR", Float64Array.from({ length: 50 }, (_, i) => 0.1 / (1 + i)));
    });
    const bytes = fs.readFileSync(good);
    let seed = 12345;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const outcomes = { ok: 0, parseError: 0 };
    for (let k = 0; k < NEXUS_FUZZ_CASES; k++) {
      const b = Buffer.from(bytes);
      let data: Buffer = b;
      if (k % 3 === 0) for (let j = 0; j < 1 + Math.floor(random() * 8); j++) b[Math.floor(random() * b.length)] ^= 1 << Math.floor(random() * 8);
      else if (k % 3 === 1) data = b.subarray(0, Math.floor(random() * b.length));
      else for (const x of [Number.NaN, 1e308, -1, 0]) b.writeDoubleLE(x, Math.floor(random() * (b.length - 8)));
      const file = path.join(tmp, `fuzz_${k}.nxs`);
      fs.writeFileSync(file, data);
      try {
        await readNexusReflectivity(file, { mapping: { q: "Q", r: "R", dr: "dR" } });
        outcomes.ok++;
      } catch (error) {
        expect(error, `case ${k}`).toBeInstanceOf(ParseError);
        outcomes.parseError++;
      }
    }
    expect(outcomes.ok + outcomes.parseError).toBe(NEXUS_FUZZ_CASES);
    expect(outcomes.parseError).toBeGreaterThan(0);
    // the library still reads a good file afterwards
    expect((await readNexusReflectivity(good, { mapping: { q: "Q", r: "R", dr: "dR" } }))[0].q.length).toBe(50);
  });
});
