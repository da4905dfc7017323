/** Shared by the geometry diagnosis tests: the thin-layer stack and the diagnosis.json interval shapes. Units: Å, g/cm³. */

/** Thin-layer (through-window) cell: a 5 µm electrolyte film under an 8 µm Kapton window is the fronting medium. */
export const THIN_LAYER_SEI_ROUGHNESS_A = 6;
export const THIN_LAYER_STACK = [
  { name: "electrolyte", role: "electrolyte", material: { formula: "C3H4O3", density: 1.32 }, roughness_A: 0 },
  { name: "SEI", role: "interphase", material: { formula: "LiF", density: 2.3 }, thickness_A: 20, roughness_A: THIN_LAYER_SEI_ROUGHNESS_A, electronsPerFormula: 1 },
  { name: "Cu", role: "electrode", material: { formula: "Cu", density: 8.96 }, thickness_A: 493.6, roughness_A: 4.6 },
  { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 }, roughness_A: 3 },
];
export interface IntervalJson {
  median: number;
  lo95: number;
  hi95: number;
}
export interface CellJson {
  shared: Record<string, IntervalJson>;
  growth: Record<string, { parameters: Record<string, IntervalJson> }>;
  timeline: { layers: Record<string, { thickness_A: IntervalJson; roughness_A: IntervalJson }> }[];
  quality: { level: string; message: string }[];
}
export const covers = (i: IntervalJson, x: number): boolean => i.lo95 <= x && x <= i.hi95;

export function fmt(i: IntervalJson | undefined): string {
  return i ? `${i.median.toPrecision(4)} [${i.lo95.toPrecision(4)}, ${i.hi95.toPrecision(4)}]` : "(absent)";
}
