/**
 * The dose-aware planner (issue 18 part 1) on a real posterior: a simulated 8-scan X-ray
 * campaign (parabolic growth, the cell's stack, scale and densities drawn away from the
 * manifest's nominal values) diagnosed once by the live engine (shared by every test here).
 * Checks: budgets are never exceeded (a spot at its budget and a scan over the total budget
 * are refused and counted); gains are positive and grow with counting time; the dose-aware
 * ranking spends less dose per nat than the Fisher-greedy baseline; a fresh spot is the best
 * way to learn a damage term the posterior does not have; the law target's information is bounded
 * by what the law weights leave to learn; the Fisher gains agree with the
 * posterior-entropy reduction by sampling (rank correlation and ratio); a potential step in
 * the cycler record just before now puts "measure now" first, naming it; a cell without a
 * posterior yet still gets the earliest allowed scans; ask latency.
 *
 * Units: time s, dose Gy, information nats.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { loadCampaign, type Campaign } from "../../src/campaign/campaign.ts";
import { LiveDiagnosis, type LiveDocument } from "../../src/diagnosis/live.ts";
import { plan, PlanContext, validateConstraints } from "../../src/autonomy/planner.ts";
import type { Constraints, ScanSetting } from "../../src/autonomy/types.ts";
import { repoRoot } from "../paths.ts";

/** Fisher and sampled gains of one candidate agree within this factor. */
const FISHER_SAMPLED_FACTOR = 1.5;
/**
 * Simulated datasets per candidate in the Fisher-vs-sampling check: the sampled gain of the
 * 10-s scan (≈ 0.005 nats, a 0.5 % narrower σ(kp)) is a small difference of two weighted
 * standard deviations, and with 12 datasets its Monte-Carlo error alone reached a factor 2.
 */
const SAMPLED_DATASETS_CHECK = 64;
/** Spearman rank correlation of Fisher and sampled gains over the candidates, at least. */
const MIN_RANK_CORRELATION = 0.8;
/** A plan of this campaign (8 scans, ~30 candidates), warm, takes at most this long (ms; the benchmark's target is 200 ms at 30 scans and 50 candidates). */
const PLAN_MS = 200;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-planner-"));
const dir = path.join(tmp, "campaign");
let campaign: Campaign;
let live: LiveDocument;
let lastStart = 0;
let lastEnd = 0;

const FULL: ScanSetting = { qMin: 0.012, qMax: 0.3, points: 60, countTime_s: 300 };

function constraints(overrides: Partial<Constraints> = {}): Constraints {
  const exposed = live.cells[0].dose_Gy!["P1"];
  return validateConstraints({
    now_s: lastEnd + 900,
    end_s: lastEnd + 6 * 3600,
    minSpacing_s: 600,
    spots: [
      { id: "P1", dose_Gy: exposed, budget_Gy: 100, fresh: false },
      { id: "P2", dose_Gy: 0, budget_Gy: 100, fresh: true },
    ],
    settings: [FULL, { ...FULL, countTime_s: 60 }, { qMin: 0.05, qMax: 0.3, points: 60, countTime_s: 300 }],
    impedance: false,
    ...overrides,
  });
}

beforeAll(async () => {
  const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as { scans: Record<string, unknown> };
  simulateCampaign(
    {
      ...scenario,
      scans: { ...scenario.scans, count: 8, points: 60 },
      impedance: undefined,
      nuisance: { thicknessRelative: 0.03, densityRelative: 0.03, scaleRelative: 0.05 },
    },
    dir,
  );
  campaign = await loadCampaign(dir, { presentOnly: true });
  live = await new LiveDiagnosis({ laws: ["linear", "parabolic"], mcmc: { steps: 150, minEss: 150 } }).full(campaign);
  const scans = campaign.cells[0].scans;
  lastStart = Math.max(...scans.map((s) => s.start_s));
  lastEnd = Math.max(...scans.map((s) => s.end_s));
}, 120_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("planner on a live posterior", () => {
  it("has a posterior to plan from", () => {
    expect(live.cells[0].posterior?.law).toBe("parabolic");
  });

  it("never exceeds a budget: a spot at its budget and a scan over the total budget are refused", () => {
    const exposed = live.cells[0].dose_Gy!["P1"];
    const c = constraints({ spots: [{ id: "P1", dose_Gy: exposed, budget_Gy: exposed, fresh: false }, { id: "P2", dose_Gy: 0, budget_Gy: 100, fresh: true }] });
    const result = plan({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" }, n: 100 });
    expect(result.refused["over the spot's dose budget"]).toBeGreaterThan(0);
    expect(result.actions.length).toBeGreaterThan(0);
    for (const a of result.actions) {
      if (a.action.kind !== "reflectivity") continue;
      expect(a.action.spot).toBe("P2");
      expect(a.cost.dose_Gy).toBeLessThanOrEqual(100);
    }
    // a total budget between the dose of a 60-s and of a 300-s scan: only the 60-s scans remain
    const context = new PlanContext({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" } });
    const short = context.forecaster.scanDose({ ...FULL, countTime_s: 60 });
    const long = context.forecaster.scanDose(FULL);
    expect(long).toBeGreaterThan(short);
    const tight = plan({ campaign, live, constraints: { ...c, totalBudget_Gy: 0.5 * (short + long) }, target: { kind: "parameter", name: "kp" }, n: 100 });
    expect(tight.refused["over the total dose budget"]).toBeGreaterThan(0);
    const scans = tight.actions.filter((a) => a.action.kind === "reflectivity");
    expect(scans.length).toBeGreaterThan(0);
    for (const a of scans) expect(a.cost.dose_Gy).toBeLessThanOrEqual(0.5 * (short + long));
    // the minimum spacing: nothing starts within it of the last scan's start
    const early = plan({ campaign, live, constraints: { ...c, now_s: lastStart + 60 }, target: { kind: "parameter", name: "kp" }, n: 100 });
    expect(early.refused["within the minimum spacing of the last scan"]).toBeGreaterThan(0);
    for (const a of early.actions) if (a.action.kind === "reflectivity") expect(a.action.at_s).toBeGreaterThanOrEqual(lastStart + 600);
  });

  it("gives positive gains that grow with counting time, with a reason holding the numbers", () => {
    const c = constraints({ settings: [10, 30, 100, 300].map((t) => ({ ...FULL, countTime_s: t })), spots: [{ id: "P1", dose_Gy: 1, budget_Gy: 100, fresh: false }], waitSteps_s: [3600] });
    const result = plan({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" }, n: 100 });
    const now = result.actions.filter((a) => a.action.kind === "reflectivity" && a.action.at_s === c.now_s);
    const gains = [10, 30, 100, 300].map((t) => now.find((a) => a.action.kind === "reflectivity" && a.action.setting.countTime_s === t)!.gain_nats);
    expect(gains[0]).toBeGreaterThan(0);
    for (let i = 1; i < gains.length; i++) expect(gains[i]).toBeGreaterThan(gains[i - 1]);
    const best = now.find((a) => a.action.kind === "reflectivity" && a.action.setting.countTime_s === 300)!;
    expect(best.reason).toMatch(/^spot P1 .*expected σ\(kp\) −\d+ % for [\d.e+-]+ Gy$/);
    expect(best.sdAfter!).toBeLessThan(best.sdBefore!);
    expect(result.now.sd).toBeCloseTo(best.sdBefore!, 12);
  });

  it("dose-aware ranking spends less dose per nat than the Fisher-greedy baseline", () => {
    // a tight total budget: the dose matters; a scan 4 h later sees more growth (more on kp per Gy) but costs the wait
    const c = constraints({ totalBudget_Gy: 0.5, settings: [{ ...FULL, countTime_s: 30 }, { ...FULL, countTime_s: 100 }], waitSteps_s: [4 * 3600] });
    const aware = plan({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" }, n: 1 }).actions[0];
    const greedy = plan({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" }, n: 1, doseAware: false }).actions[0];
    const perGy = (a: typeof aware): number => a.gain_nats / a.cost.dose_Gy;
    const perSecond = (a: typeof aware): number => a.gain_nats / a.cost.time_s;
    expect(perGy(aware)).toBeGreaterThan(perGy(greedy));
    expect(perSecond(greedy)).toBeGreaterThan(perSecond(aware));
    expect(aware.action.kind === "reflectivity" && aware.action.at_s).toBe(c.now_s + 4 * 3600);
    expect(greedy.action.kind === "reflectivity" && greedy.action.at_s).toBe(c.now_s);
  });

  it("damage target: a fresh spot separates damage from growth and beats the exposed spot", () => {
    const result = plan({ campaign, live, constraints: constraints({ settings: [FULL] }), target: { kind: "damage" }, n: 100 });
    const first = (spot: string): number => result.actions.findIndex((a) => a.action.kind === "reflectivity" && a.action.spot === spot);
    expect(first("P2")).toBeGreaterThanOrEqual(0);
    expect(first("P2")).toBeLessThan(first("P1"));
    const fresh = result.actions[first("P2")];
    const exposed = result.actions[first("P1")];
    expect(fresh.gain_nats).toBeGreaterThan(exposed.gain_nats);
    expect(fresh.reason).toMatch(/^fresh spot P2 .*separates damage from growth; expected σ\(damage_rate/);
  });

  it("law target: the expected law information grows with the time ahead (the laws diverge) and stays below the weights' entropy", () => {
    const c = constraints({ settings: [FULL], spots: [{ id: "P1", dose_Gy: 1, budget_Gy: 100, fresh: false }], waitSteps_s: [3600, 4 * 3600] });
    const result = plan({ campaign, live, constraints: c, target: { kind: "law" }, n: 100 });
    const at = (t: number): number => result.actions.find((a) => a.action.kind === "reflectivity" && a.action.at_s === t)!.gain_nats;
    expect(at(c.now_s + 4 * 3600)).toBeGreaterThan(at(c.now_s));
    const weights = Object.values(result.now.weights!).filter((w) => w > 0);
    const entropy = -weights.reduce((h, w) => h + w * Math.log(w), 0);
    for (const a of result.actions) expect(a.gain_nats).toBeLessThanOrEqual(entropy * (1 + 1e-9));
    expect(result.now.weights?.["parabolic"]).toBeGreaterThan(0.5);
    expect(result.actions[0].reason).toMatch(/parabolic vs linear differ by [\d.]+ Å \(scan σ [\d.]+ Å\); expected law information [\d.e-]+ of [\d.e-]+ nats for/);
  });

  it("Fisher gains agree with the posterior-entropy reduction by sampling", () => {
    const c = constraints();
    const context = new PlanContext({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" }, seed: 3 });
    const spot = c.spots[0];
    const candidates: [ScanSetting, number][] = [
      [{ ...FULL, countTime_s: 10 }, 0],
      [{ ...FULL, countTime_s: 40 }, 0],
      [{ ...FULL, countTime_s: 150 }, 0],
      [{ qMin: 0.012, qMax: 0.1, points: 60, countTime_s: 100 }, 0],
      [{ ...FULL, countTime_s: 100 }, 10000],
    ];
    const fisher: number[] = [];
    const sampled: number[] = [];
    for (const [setting, delay] of candidates) {
      const scan = context.candidateScan({ kind: "reflectivity", at_s: c.now_s + delay, spot: spot.id, setting }, spot);
      fisher.push(context.scanGain(scan).gain);
      sampled.push(context.sampledGain(scan, { datasets: SAMPLED_DATASETS_CHECK }).gain);
    }
    console.log(`Fisher vs sampled gains (nats): ${fisher.map((f, i) => `${f.toFixed(4)}/${sampled[i].toFixed(4)}`).join(", ")}`);
    for (let i = 0; i < fisher.length; i++) {
      expect(sampled[i] / fisher[i]).toBeGreaterThan(1 / FISHER_SAMPLED_FACTOR);
      expect(sampled[i] / fisher[i]).toBeLessThan(FISHER_SAMPLED_FACTOR);
    }
    expect(spearman(fisher, sampled)).toBeGreaterThanOrEqual(MIN_RANK_CORRELATION);
  });

  it("a potential step just before now puts a scan now first, naming the step", async () => {
    // the same campaign with a potential step in its cycler record 60 s before now
    const gated = path.join(tmp, "gated");
    fs.cpSync(dir, gated, { recursive: true });
    const file = path.join(gated, "echem", "A.bdf.csv");
    const [header, ...data] = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    const now = lastEnd + 900;
    const offset = campaign.cells[0].cyclerOffset_s ?? 0;
    const rows = data.map((line) => line.split(","));
    // the record as written may end before now: extended at its last values every 10 s
    for (let t = Number(rows[rows.length - 1][0]) + 10; t + offset <= now + 10; t += 10) rows.push([String(t), ...rows[rows.length - 1].slice(1)]);
    for (const row of rows) {
      if (Number(row[0]) + offset < now - 60) continue;
      row[1] = "0.5";
      row[4] = "2";
    }
    fs.writeFileSync(file, `${[header, ...rows.map((r) => r.join(","))].join("\n")}\n`);
    const withStep = await loadCampaign(gated, { presentOnly: true });
    // constraints under which the plan without an event waits 4 h (more growth per Gy; see the dose-aware test)
    const c = constraints({ totalBudget_Gy: 0.5, settings: [{ ...FULL, countTime_s: 30 }, { ...FULL, countTime_s: 100 }], waitSteps_s: [4 * 3600] });
    const plain = plan({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" }, n: 3 });
    const result = plan({ campaign: withStep, live, constraints: c, target: { kind: "parameter", name: "kp" }, n: 3 });
    expect(plain.events).toEqual([]);
    expect(plain.actions[0].action.kind === "reflectivity" && plain.actions[0].action.at_s).toBe(now + 4 * 3600);
    expect(result.events.some((e) => e.kind === "potential-step")).toBe(true);
    const first = result.actions[0];
    expect(first.action.kind).toBe("reflectivity");
    if (first.action.kind === "reflectivity") expect(first.action.at_s).toBe(now);
    expect(first.reason).toMatch(/^potential-step \d+ s ago \(potential step .* V at t = \d+ s\): measure now; /);
  });

  it("without a posterior yet (2 scans) proposes the earliest allowed scans, exposed spot first, gain 0", async () => {
    const early = path.join(tmp, "early");
    fs.cpSync(dir, early, { recursive: true });
    const ids = campaign.cells[0].scans.map((s) => s.id);
    for (const id of ids.slice(2)) fs.rmSync(path.join(early, "xrr", `${id}.ort`));
    const partial = await loadCampaign(early, { presentOnly: true });
    const partialLive = await new LiveDiagnosis({ laws: ["linear", "parabolic"] }).update(partial);
    expect(partialLive.cells[0].posterior).toBeNull();
    const secondEnd = Math.max(...partial.cells[0].scans.map((s) => s.end_s));
    const result = plan({ campaign: partial, live: partialLive, constraints: constraints({ now_s: secondEnd + 60 }), target: { kind: "parameter", name: "kp" } });
    const first = result.actions[0];
    expect(first.gain_nats).toBe(0);
    expect(first.action.kind === "reflectivity" && first.action.spot).toBe("P1");
    expect(first.reason).toMatch(/no posterior yet \(2 scans; a growth law needs 3\): measure to get one/);
  });

  it("answers within the ask budget (warm)", () => {
    const c = constraints();
    plan({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" } });
    const started = performance.now();
    const result = plan({ campaign, live, constraints: c, target: { kind: "parameter", name: "kp" } });
    const elapsed = performance.now() - started;
    console.log(`plan: ${result.considered} candidates in ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeLessThan(PLAN_MS);
  });

  it("refuses bad constraints and unknown targets with one line naming the field", () => {
    expect(() => validateConstraints({ ...constraints(), end_s: 0 })).toThrow(/^constraints\.end_s: must be after now_s/);
    expect(() => validateConstraints({ ...constraints(), spots: [{ id: "P1", budget_Gy: -1 }] })).toThrow(/^constraints\.spots\[0\]\.budget_Gy: must be a dose > 0/);
    expect(() => plan({ campaign, live, constraints: constraints(), target: { kind: "parameter", name: "k" } })).toThrow(/^target\.name: is not a parameter of the posterior \(parabolic law: /);
  });
});

/** Spearman's rank correlation (no ties expected). */
function spearman(a: number[], b: number[]): number {
  const rank = (x: number[]): number[] => {
    const order = x.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(x.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}
