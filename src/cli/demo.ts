import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { DemoCurve, DemoLayerRow } from "../report/demoPage.ts";
import { checkOutputFolder, FORCE_HELP, OUT_HELP, printJson } from "./output.ts";

/** The demo's own default folder, apart from `npm start`'s `out/`, so neither run's files land beside the other's. */
export const DEMO_DEFAULT_OUT = "strata-demo";

/** Example operando thin-film cell, measured through the Si block: Si | Cu | inner SEI (LiF) | outer SEI (Li2CO3) | d-EC electrolyte. */
const DEMO_STACK = [
  { name: "Si block (fronting)", formula: "Si", density: 2.33, thickness: undefined, roughness: 0 },
  { name: "Cu current collector", formula: "Cu", density: 8.96, thickness: 500, roughness: 5 },
  { name: "inner SEI", formula: "LiF", density: 2.635, thickness: 60, roughness: 6 },
  { name: "outer SEI", formula: "Li2CO3", density: 2.11, thickness: 40, roughness: 8 },
  { name: "electrolyte (backing)", formula: "C3D4O3", density: 1.38, thickness: undefined, roughness: 10 },
];
const ENERGY_KEV = 17.48;
const WAVELENGTH_A = 1.798;
const DQ_OVER_Q_FWHM = 0.05;

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("Compute X-ray and neutron reflectivity and SLD profiles of an example SEI stack on copper; write an HTML page")
    .option("--out <DIR>", OUT_HELP, DEMO_DEFAULT_OUT)
    .option("--force", FORCE_HELP)
    .option("--json", 'print {"report", "curves": [{"probe", "q", "reflectivity"}]} (R at Q = 0.1 Å⁻¹) instead of lines')
    .action(async (options: { out: string; force?: boolean; json?: boolean }) => {
      checkOutputFolder(options.out, options.force);
      const { profileDepths, sldProfile } = await import("../kernels/reflectivity/profile.ts");
      const { FWHM_TO_SIGMA } = await import("../kernels/reflectivity/smear.ts");
      const { neutronSld, xraySld } = await import("../materials/index.ts");
      const { reflectivityEvaluator } = await import("../models/reflectivityEvaluator.ts");
      const { demoPage } = await import("../report/demoPage.ts");
      const layers: DemoLayerRow[] = DEMO_STACK.map((l) => ({
        ...l,
        xray: xraySld(l.formula, l.density, ENERGY_KEV),
        neutron: neutronSld(l.formula, l.density, WAVELENGTH_A),
      }));
      const q = Float64Array.from({ length: 400 }, (_, i) => 0.004 + (0.296 * i) / 399);
      const sigma = q.map((x) => x * DQ_OVER_Q_FWHM * FWHM_TO_SIGMA);
      const unsmeared = reflectivityEvaluator(q);
      const smeared = reflectivityEvaluator(q, { sigma });
      const scaleAndBackground = Float64Array.of(1, 0);
      const curves: DemoCurve[] = (["xray", "neutron"] as const).map((probe) => {
        const slabs = Float64Array.from(
          layers.flatMap((l, j) => {
            const s = probe === "xray" ? l.xray : l.neutron;
            return [j === 0 || j === layers.length - 1 ? 0 : l.thickness!, s.sld, j === 0 ? 0 : s.isld, j === 0 ? 0 : l.roughness];
          }),
        );
        const z = profileDepths(slabs, 600);
        const profile = sldProfile(slabs, z);
        return {
          probe: probe === "xray" ? `X-ray ${ENERGY_KEV} keV` : `neutron ${WAVELENGTH_A} Å`,
          q,
          unsmeared: unsmeared.evaluate(slabs, scaleAndBackground),
          smeared: smeared.evaluate(slabs, scaleAndBackground),
          z,
          sld: profile.sld,
          isld: profile.isld,
        };
      });
      const html = demoPage({
        title: "Strata — an SEI on copper seen by X-rays and neutrons",
        subtitle: "Operando thin-film cell measured through the Si block: Si | Cu 500 Å | LiF 60 Å | Li₂CO₃ 40 Å | d-EC. SLDs follow from composition and density for both probes.",
        layers,
        curves,
        resolution: `${DQ_OVER_Q_FWHM * 100} % dQ/Q FWHM`,
      });
      fs.mkdirSync(options.out, { recursive: true });
      const file = path.join(options.out, "report.html");
      fs.writeFileSync(file, html);
      const atTenth = curves.map((c) => {
        const iq = c.q.findIndex((x) => x >= 0.1);
        return { probe: c.probe, q: c.q[iq], reflectivity: c.smeared[iq] };
      });
      if (options.json) printJson({ report: file, curves: atTenth });
      else {
        process.stdout.write(`wrote ${file}\n`);
        for (const c of atTenth) process.stdout.write(`${c.probe}: R(Q=${c.q.toFixed(3)}) = ${c.reflectivity.toExponential(3)}\n`);
      }
    });
}
