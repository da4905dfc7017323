/**
 * The estimator's out-of-distribution score (issue 19 part 4), with the shipped statistics.
 * Statistics, not physics: the in-domain curves come from Strata's own generator and the
 * statistics (and the outlier-exposure classifier) came from other streams of the same
 * generator and of learn/outOfDomain's extra-layer stacks. bench/learnOod.ts measures the
 * same at full size (1000 in-domain, 600 out-of-domain curves); here small counts of another
 * seed check that the score flags periodic Ni/Ti multilayers and 6-layer stacks and few
 * held-apart in-domain curves.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { familyPrior, MAX_LAYERS } from "./generator.ts";
import { loadEstimator, type Estimator } from "./estimator.ts";
import { loadOodStatistics, oodManifestPath, oodScore, sampleCurve, type OodStatistics } from "./ood.ts";
import { outOfDomainCurve, type OutOfDomainKind } from "./outOfDomain.ts";
import type { LearnProbe } from "./generator.ts";

const IN_DOMAIN_CURVES = 300;
const OUT_OF_DOMAIN_CURVES = 40;
/** In-domain false alarms allowed (the threshold is the 97.5th percentile of other in-domain curves; the issue allows 5 %). */
const MAX_FALSE_ALARM_RATE = 0.05;
/** Periodic multilayers flagged, either probe (bench: 300/300). */
const MIN_MULTILAYER_FLAGGED = 0.9;
/** 6-layer stacks flagged, either probe (bench: 255/300 and 250/300 on two seeds; the issue asks ≥ 90 % over all kinds). */
const MIN_SIX_LAYER_FLAGGED = 0.7;

let estimator: Estimator;
let statistics: OodStatistics;
beforeAll(() => {
  estimator = loadEstimator();
  statistics = loadOodStatistics(estimator);
});

function flaggedShare(kind: OutOfDomainKind, probe: LearnProbe): number {
  const prior = familyPrior(probe, MAX_LAYERS);
  const scores: number[] = [];
  for (let i = 0; i < OUT_OF_DOMAIN_CURVES; i++) {
    const c = outOfDomainCurve(kind, probe, "ood-test", i);
    scores.push(oodScore(estimator, statistics, { prior, reflectivity: c.reflectivity, mask: c.mask, lower: prior.lower, upper: prior.upper, sigmaQ: c.sigmaQ, q: c.q }).score);
  }
  return scores.filter((s) => s > statistics.manifest.threshold).length / scores.length;
}

describe("learn/ood", () => {
  it("flags few held-apart in-domain curves", () => {
    let flagged = 0;
    for (let i = 0; i < IN_DOMAIN_CURVES; i++) {
      const s = oodScore(estimator, statistics, sampleCurve("ood-test", i));
      if (!s.inDomain) flagged++;
      expect(s.inDomain).toBe(s.score <= s.threshold);
    }
    expect(flagged / IN_DOMAIN_CURVES).toBeLessThanOrEqual(MAX_FALSE_ALARM_RATE);
  });

  it.each(["xray", "neutron"] as const)("flags periodic Ni/Ti multilayers and 6-layer stacks (%s)", (probe) => {
    expect(flaggedShare("multilayer", probe)).toBeGreaterThanOrEqual(MIN_MULTILAYER_FLAGGED);
    expect(flaggedShare("sixLayer", probe)).toBeGreaterThanOrEqual(MIN_SIX_LAYER_FLAGGED);
  });

  it("refuses statistics of other weights", () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-ood-"));
    const manifest = JSON.parse(fs.readFileSync(oodManifestPath(), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(path.join(folder, "ood-v1.json"), JSON.stringify({ ...manifest, weightsSha256: "0".repeat(64) }));
    fs.copyFileSync(path.join(path.dirname(oodManifestPath()), String(manifest["file"])), path.join(folder, String(manifest["file"])));
    expect(() => loadOodStatistics(estimator, path.join(folder, "ood-v1.json"))).toThrow(/other weights/);
    fs.rmSync(folder, { recursive: true });
  });
});
