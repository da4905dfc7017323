/**
 * Synthetic reflectivity measurements with known truth for fit tests: R from the
 * kernel (smeared when asked), then counting noise — counts ~ Poisson(R·I0(Q)) with an
 * incident intensity that grows as Q² (longer counting at high Q, as on a real
 * instrument), R = counts/I0, dR = √counts/I0 (points with zero counts dropped).
 */
import fs from "node:fs";
import { reflectivity } from "../../src/kernels/reflectivity/abeles.ts";
import { createSmearedReflectivity } from "../../src/kernels/reflectivity/smearedReflectivity.ts";
import { poissonDeviate } from "../../src/core/poisson.ts";
import { createRandom } from "../../src/core/random.ts";

export interface SyntheticCurve {
  q: Float64Array;
  r: Float64Array;
  dr: Float64Array;
  dq: Float64Array | undefined;
}

export function syntheticCurve(
  slabs: Float64Array,
  options: { q: Float64Array; seed: number; incident?: number; sigma?: Float64Array; scale?: number; background?: number },
): SyntheticCurve {
  const random = createRandom(options.seed);
  const scale = options.scale ?? 1;
  const background = options.background ?? 0;
  const truth = options.sigma
    ? createSmearedReflectivity(options.q, options.sigma).evaluate(slabs, scale, background)
    : reflectivity(options.q, slabs, scale, background);
  const incident = options.incident ?? 1e6;
  const q: number[] = [];
  const r: number[] = [];
  const dr: number[] = [];
  const dq: number[] = [];
  for (let i = 0; i < options.q.length; i++) {
    const i0 = incident * (options.q[i] / options.q[0]) ** 2;
    const counts = poissonDeviate(truth[i] * i0, () => random.next());
    if (counts === 0) continue;
    q.push(options.q[i]);
    r.push(counts / i0);
    dr.push(Math.sqrt(counts) / i0);
    if (options.sigma) dq.push(options.sigma[i]);
  }
  return { q: Float64Array.from(q), r: Float64Array.from(r), dr: Float64Array.from(dr), dq: options.sigma ? Float64Array.from(dq) : undefined };
}

/** Write a curve as columns Q R dR [dQ]. */
export function writeCurve(file: string, curve: SyntheticCurve): void {
  const lines = ["# Q R dR" + (curve.dq ? " dQ(sigma)" : "")];
  for (let i = 0; i < curve.q.length; i++) {
    lines.push([curve.q[i], curve.r[i], curve.dr[i], ...(curve.dq ? [curve.dq[i]] : [])].map((x) => x.toPrecision(17)).join(" "));
  }
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
}
