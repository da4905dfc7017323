/**
 * @module cli/importRefnx
 * `strata import-refnx REFNX.json [--out DIR [--force]] [--data FILE] [--json]`: convert a
 * refnx model exported as `refnx-structure/1` (see io/refnx for the five-line Python
 * export) to a MODEL.json for `strata reflect`, or — with `--data` — a PROBLEM.json that
 * fits that data file with the refnx parameters' vary flags and bounds. Printed on stdout
 * without `--out`; `--out DIR` writes DIR/MODEL.json (DIR/PROBLEM.json), the folder new or
 * empty unless `--force`, as every command's `--out`. `--json` prints
 * {"document", "varying", "notes", "file"?} instead.
 *
 * Units: thickness and roughness Å, SLD 10⁻⁶ Å⁻², Q Å⁻¹ (refnx's and Strata's alike).
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ValidationError } from "../core/errors.ts";
import { readJsonFile } from "../io/json.ts";
import { refnxToModel } from "../io/refnx.ts";
import { readReflectivityData } from "../io/reflectivityData.ts";
import { DQ_MEASURE_HELP, dqMeasureOption } from "./numbers.ts";
import { checkOutputFolder, FORCE_HELP, OUT_HELP, printJson, UsageError } from "./output.ts";

interface ImportOptions {
  out?: string;
  data?: string;
  force?: boolean;
  dqMeasure?: string;
  json?: boolean;
}

export function registerImportRefnx(program: Command): void {
  program
    .command("import-refnx")
    .description("Convert a refnx model (JSON export refnx-structure/1 of a ReflectModel's slabs) to a MODEL.json, or with --data a PROBLEM.json")
    .argument("<REFNX.json>", '{"format": "refnx-structure/1", "slabs": [{"name", "thick", "sld", "isld", "rough", "vfsolv"}], "scale", "bkg", "dq"}')
    .option("--out <DIR>", `${OUT_HELP}: MODEL.json (PROBLEM.json with --data) is written there instead of printed`)
    .option("--data <FILE>", "write a PROBLEM.json fitting this reflectivity file (.ort or Q R dR [dQ] columns)")
    .option("--dq-measure <fwhm|sigma>", DQ_MEASURE_HELP)
    .option("--force", FORCE_HELP)
    .option("--json", 'print {"document", "varying", "notes", "file"} (file: what --out wrote)')
    .addHelpText(
      "after",
      `
Export from Python (refnx ReflectModel \`model\` of Slabs):
  import json, math
  def p(x): b = (getattr(x.bounds, "lb", None), getattr(x.bounds, "ub", None)); return {"value": x.value, "vary": bool(x.vary), "bounds": [v if v is not None and math.isfinite(v) else None for v in b]}
  slabs = [{"name": s.name, "thick": p(s.thick), "sld": p(s.sld.real), "isld": p(s.sld.imag), "rough": p(s.rough), "vfsolv": p(s.vfsolv)} for s in model.structure]
  json.dump({"format": "refnx-structure/1", "slabs": slabs, "scale": p(model.scale), "bkg": p(model.bkg), "dq": float(model.dq.value)}, open("refnx.json", "w"), indent=1)
Conventions are refnx's: fronting -> backing, a slab's roughness is the interface above it,
SLD 10^-6 A^-2, dq the FWHM of dQ/Q in percent. Varying parameters keep their bounds.`,
    )
    .action((file: string, options: ImportOptions) => {
      const dqMeasure = dqMeasureOption(options.dqMeasure);
      if (options.out !== undefined) checkOutputFolder(options.out, options.force);
      let imported: ReturnType<typeof refnxToModel>;
      try {
        imported = refnxToModel(readJsonFile(file));
      } catch (error) {
        // name the export file before the JSON path (`refnx.json: slabs[3].vfsolv: …`)
        if (error instanceof ValidationError) throw new UsageError(`${file}: ${error.message}`);
        throw error;
      }
      let document: Record<string, unknown> = imported.model;
      const notes = [...imported.notes];
      if (options.data !== undefined) {
        // refnx smears with the dataset's own dQ (x_err) when it has one, with the constant dq otherwise
        const [curve] = readReflectivityData(options.data, dqMeasure === undefined ? {} : { dqMeasure });
        const model = { ...imported.model };
        if (curve.dq && model["resolution"] !== undefined) {
          delete model["resolution"];
          notes.push(`${options.data} has a dQ column: the fit smears with it, as refnx does with x_err (the export's constant dq is not used)`);
        }
        const base = options.out === undefined ? process.cwd() : path.resolve(options.out);
        document = {
          name: `refnx model fitted to ${path.basename(options.data)}`,
          parameters: {},
          models: { refnx: model },
          datasets: [{ file: path.relative(base, path.resolve(options.data)) || options.data, model: "refnx", ...(dqMeasure !== undefined ? { dqMeasure } : {}) }],
          fit: { method: "lm" },
        };
      }
      const text = `${JSON.stringify(document, null, 2)}\n`;
      let written: string | undefined;
      if (options.out !== undefined) {
        fs.mkdirSync(options.out, { recursive: true });
        written = path.join(options.out, options.data !== undefined ? "PROBLEM.json" : "MODEL.json");
        fs.writeFileSync(written, text);
      }
      if (options.json) {
        printJson({ document, varying: imported.varying, notes, ...(written !== undefined ? { file: written } : {}) });
        return;
      }
      if (written === undefined) process.stdout.write(text);
      else process.stdout.write(`wrote ${written} (${imported.varying.length} varying: ${imported.varying.join(", ") || "none"})\n`);
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
    });
}
