/**
 * @module io/cycler/biologic
 * What the BioLogic `.mpt` and `.mpr` readers share: the mapping of EC-Lab
 * column names (mA, mA·h, V, s) to the BDF table (A, Ah, V, s).
 *
 * BioLogic's sign convention is `"anodic-positive"` (positive = oxidation at the
 * working electrode). Current comes from `I/mA`, else `<I>/mA`, else — GCPL
 * `.mpr` files may have no current column — from `dq/mA.h / Δt · 3600` (the
 * value EC-Lab itself exports as `<I>/mA`). `step_type` comes from the flags
 * (`mode` 1 = CC, 2 = CV, 3 = rest; `ox/red` 1 = oxidation/charge).
 */
import { ParseError } from "../../core/errors.ts";
import { STEP_TYPE_CODE, linearMapper } from "./cyclerTable.ts";
import type { LinearOutput, ReadContext, RowMapper } from "./cyclerTable.ts";

/** Finds the first of `candidates` among `names`; −1 when none. */
function find(names: readonly string[], ...candidates: string[]): number {
  for (const c of candidates) {
    const i = names.indexOf(c);
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * Builds the BDF mapping for EC-Lab columns.
 *
 * @param names - EC-Lab column names (`time/s`, `Ewe/V`, `I/mA`, …; flags as `mode`, `ox/red`, …)
 * @param ctx - read context (file name for errors, warnings)
 * @param isImpedance - the technique is PEIS/GEIS (rows without flags are then `EIS` steps)
 * @returns the mapper
 * @throws ParseError when there is no time or no potential column
 */
export function biologicMapper(names: readonly string[], ctx: ReadContext, isImpedance: boolean): RowMapper {
  const time = find(names, "time/s");
  if (time < 0) throw new ParseError(ctx.file, `no time/s column (columns: ${names.join(", ")})`);
  const voltage = find(names, "Ewe/V", "Ecell/V", "<Ewe>/V", "Ewe-Ece/V");
  if (voltage < 0) throw new ParseError(ctx.file, `no potential column (Ewe/V, Ecell/V or <Ewe>/V; columns: ${names.join(", ")})`);
  const linear: LinearOutput[] = [
    { out: "test_time_second", src: time },
    { out: "voltage_volt", src: voltage },
  ];
  const current = find(names, "I/mA", "<I>/mA");
  if (current >= 0) linear.push({ out: "current_ampere", src: current, scale: 1e-3 });
  const add = (out: string, scale: number, ...candidates: string[]): void => {
    const j = find(names, ...candidates);
    if (j >= 0) linear.push({ out, src: j, scale });
  };
  const netMilli = find(names, "(Q-Qo)/mA.h");
  if (netMilli >= 0) linear.push({ out: "net_capacity_ah", src: netMilli, scale: 1e-3 });
  else add("net_capacity_ah", 1 / 3600, "(Q-Qo)/C");
  add("interval_net_capacity_ah", 1e-3, "dq/mA.h");
  add("half_cycle_count", 1, "half cycle");
  add("cycle_count", 1, "cycle number");
  add("step_id", 1, "Ns");
  add("step_time_second", 1, "step time/s");
  add("power_watt", 1, "P/W", "Pwe/W");
  add("frequency_hertz", 1, "freq/Hz");
  add("real_impedance_ohm", 1, "Re(Z)/Ohm");
  add("imaginary_impedance_ohm", -1, "-Im(Z)/Ohm");
  add("absolute_impedance_ohm", 1, "|Z|/Ohm");
  add("phase_degree", 1, "Phase(Z)/deg");
  add("temperature_t1_celsius", 1, "Temperature/°C");

  const dq = find(names, "dq/mA.h");
  const mode = find(names, "mode");
  const oxred = find(names, "ox/red");
  const extraOutputs: string[] = [];
  const needs: number[] = [];
  const deriveCurrent = current < 0 && dq >= 0;
  if (current < 0) {
    extraOutputs.push("current_ampere");
    if (deriveCurrent) {
      needs.push(time, dq);
      ctx.warnings.add("no current column: current derived as dq/mA.h / Δt · 3600 (EC-Lab's <I>/mA)");
    } else ctx.warnings.add("no current column and no dq/mA.h column: current_ampere is NaN");
  }
  const stepType = mode >= 0 || isImpedance;
  if (stepType) {
    extraOutputs.push("step_type");
    if (mode >= 0) needs.push(mode);
    if (oxred >= 0) needs.push(oxred);
  }
  let previousTime = NaN;
  let first = true;
  const CC_CHG = STEP_TYPE_CODE.CC_CHG;
  const CC_DCH = STEP_TYPE_CODE.CC_DCH;
  const CV_CHG = STEP_TYPE_CODE.CV_CHG;
  const CV_DCH = STEP_TYPE_CODE.CV_DCH;
  const REST = STEP_TYPE_CODE.REST;
  const UNKNOWN = STEP_TYPE_CODE.UNKNOWN;
  const EIS = STEP_TYPE_CODE.EIS;
  return linearMapper(linear, {
    outputs: extraOutputs,
    needs,
    map(src, n, out) {
      let k = 0;
      if (current < 0) {
        const o = out[k++];
        if (deriveCurrent) {
          const t = src[time];
          const q = src[dq];
          for (let i = 0; i < n; i++) {
            const dt = t[i] - previousTime;
            const dqi = q[i];
            if (first) {
              o[i] = dqi === 0 ? 0 : NaN;
              if (dqi !== 0) ctx.warnings.add("first row has dq ≠ 0 and no previous time: its current is NaN");
              first = false;
            } else if (dt > 0) o[i] = ((dqi / dt) * 3600) / 1000;
            else {
              o[i] = dqi === 0 ? 0 : NaN;
              if (dqi !== 0) ctx.warnings.add("time does not advance between rows with dq ≠ 0: current is NaN there");
            }
            previousTime = t[i];
          }
        } else o.fill(NaN, 0, n);
      }
      if (stepType) {
        const o = out[k++];
        if (mode < 0) {
          o.fill(EIS, 0, n);
          return;
        }
        const m = src[mode];
        const ox = oxred >= 0 ? src[oxred] : undefined;
        for (let i = 0; i < n; i++) {
          const charge = ox ? ox[i] === 1 : true;
          switch (m[i]) {
            case 1:
              o[i] = charge ? CC_CHG : CC_DCH;
              break;
            case 2:
              o[i] = charge ? CV_CHG : CV_DCH;
              break;
            case 3:
              o[i] = REST;
              break;
            default:
              o[i] = UNKNOWN;
          }
        }
      }
    },
  });
}

/** Column names made unique by suffixing repeats with ` (2)`, ` (3)`, … */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name} (${count})`;
  });
}
