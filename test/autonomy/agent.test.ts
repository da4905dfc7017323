/**
 * The agent library (autonomy/agent) with the planner (autonomy/planner) on the example
 * campaign's first scans and their real live diagnosis: the constraints it derives from the
 * campaign (spots, dose from the ledger, now = the last scan's end, the last scan's setting),
 * the approval gate (a pending suggestion cannot be taken; approved can, once), a denied
 * suggestion not suggested again in the same state (a new scan is a new state), asking twice
 * returns the same suggestions, tells recorded once per file version, the report, and an agent
 * rebuilt from its events equal to the one that wrote them.
 *
 * Units: s on the campaign clock, Gy, Å⁻¹.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, AgentError, defaultConstraints, stateKey, type AgentEvent } from "../../src/autonomy/agent.ts";
import { plan } from "../../src/autonomy/planner.ts";
import type { Target } from "../../src/autonomy/types.ts";
import { loadCampaign, type Campaign } from "../../src/campaign/campaign.ts";
import { LiveDiagnosis, type LiveDocument } from "../../src/diagnosis/live.ts";
import { repoRoot } from "../paths.ts";

const EXAMPLE = path.join(repoRoot, "examples", "campaign");
/** scans present in the campaign the agent is asked about */
const SCANS = 3;
/** laws of the live diagnosis (two: the test needs a posterior, not a law comparison) */
const LAWS = ["linear", "parabolic"] as const;
const TARGET: Target = { kind: "parameter", name: "k" };

const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-agent-"));
let campaign: Campaign;
let later: Campaign;
let live: LiveDocument;

/** the example folder as it was after `count` scans */
async function upTo(count: number, dir: string): Promise<Campaign> {
  fs.cpSync(EXAMPLE, dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "campaign.json"), "utf8")) as { scans: { file: string }[] };
  for (const scan of manifest.scans.slice(count)) fs.rmSync(path.join(dir, scan.file), { force: true });
  return loadCampaign(dir, { presentOnly: true });
}

beforeAll(async () => {
  campaign = await upTo(SCANS, path.join(folder, "a"));
  later = await upTo(SCANS + 1, path.join(folder, "b"));
  live = await new LiveDiagnosis({ seed: 1, laws: [...LAWS] }).update(campaign);
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

describe("agent", () => {
  it("derives the constraints from the campaign and its dose ledger", () => {
    const constraints = defaultConstraints(campaign, live);
    const cell = campaign.cells[0];
    const last = cell.scans[SCANS - 1];
    expect(constraints.now_s).toBe(last.end_s);
    expect(constraints.settings).toEqual([{ qMin: Math.min(...last.data.q), qMax: Math.max(...last.data.q), points: last.data.q.length, countTime_s: last.exposure_s }]);
    const spots = new Set(cell.scans.map((s) => s.spot));
    for (const spot of constraints.spots) {
      expect(spot.fresh).toBe(!spots.has(spot.id));
      expect(spot.dose_Gy).toBe(live.cells[0].dose_Gy?.[spot.id] ?? 0);
      expect(spot.budget_Gy).toBe(Infinity);
    }
    expect(constraints.spots.some((s) => s.dose_Gy > 0)).toBe(true);
  });

  it("gates taking on approval, never re-suggests a denied action in the same state, and asks idempotently", () => {
    const agent = new Agent({ plan });
    const first = agent.ask(3, { campaign, live, target: TARGET, constraints: { spots: [{ id: "P1", budget_Gy: 1e9 }] } });
    expect(first.suggestions.length).toBeGreaterThan(1);
    expect(first.suggestions.every((s) => s.status === "pending" && s.state === stateKey(campaign))).toBe(true);
    expect(first.constraints.spots.find((s) => s.id === "P1")?.budget_Gy).toBe(1e9);
    const [a, b] = first.suggestions;
    expect(() => agent.take(a.id)).toThrow(AgentError);
    expect(() => agent.take(a.id)).toThrow(/pending — a person must approve it/);

    agent.approve(a.id, "beamline scientist", "fine");
    expect(agent.suggestion(a.id)).toMatchObject({ status: "approved", decision: { by: "beamline scientist", note: "fine" } });
    expect(() => agent.approve(a.id, "someone")).toThrow(/already approved by beamline scientist/);
    agent.take(a.id);
    expect(agent.suggestion(a.id)?.status).toBe("taken");
    expect(() => agent.take(a.id)).toThrow(/already taken/);

    agent.deny(b.id, "operator", "spot P2 is reserved");
    expect(() => agent.take(b.id)).toThrow(/denied by operator/);
    const again = agent.ask(3, { campaign, live, target: TARGET, constraints: { spots: [{ id: "P1", budget_Gy: 1e9 }] } });
    const key = JSON.stringify(b.action);
    expect(again.suggestions.some((s) => JSON.stringify(s.action) === key)).toBe(false);
    // the same state: what was suggested before comes back as the same suggestion, not a copy
    const repeated = again.suggestions.filter((s) => first.suggestions.some((f) => f.id === s.id));
    expect(repeated.length).toBeGreaterThan(0);
    expect(again.events.every((e) => e.type === "agent.suggestion" && !first.suggestions.some((f) => f.id === e.payload.id))).toBe(true);

    // a new scan is a new state: the denied action may come back (as a new suggestion)
    const fresh = agent.ask(3, { campaign: later, live, target: TARGET });
    expect(fresh.suggestions.every((s) => s.state === stateKey(later) && s.status === "pending")).toBe(true);
    expect(stateKey(later)).not.toBe(stateKey(campaign));
  });

  it("takes pending suggestions without the gate, records tells once, reports, and rebuilds from its events", () => {
    const events: AgentEvent[] = [];
    const agent = new Agent({ plan, requireApproval: false });
    const { suggestions, events: made } = agent.ask(2, { campaign, live, target: TARGET });
    events.push(...made);
    events.push(...agent.take(suggestions[0].id));
    events.push(...agent.tell({ file: "xrr/A0004.ort", version: 1, source: "file", scan: "A0004" }));
    expect(agent.tell({ file: "xrr/A0004.ort", version: 1, source: "file", scan: "A0004" })).toEqual([]);
    events.push(...agent.deny(suggestions[1].id, "operator"));
    expect(agent.told.map((t) => t.file)).toEqual(["xrr/A0004.ort"]);

    const report = agent.report(live);
    expect(report.target).toEqual(TARGET);
    expect(report.posterior).toMatchObject({ parameter: "k", median: live.cells[0].parameters["k"].median });
    expect(report.budgets.map((b) => b.spot)).toEqual(Object.keys(live.cells[0].dose_Gy ?? {}).sort());
    expect(report.suggestions.map((s) => s.status)).toEqual(["taken", "denied"]);

    const rebuilt = Agent.fromEvents(JSON.parse(JSON.stringify(events)) as AgentEvent[], { plan, requireApproval: false });
    expect(rebuilt.report(live)).toEqual(report);
    // applying the log twice changes nothing
    for (const event of events) rebuilt.apply(event);
    expect(rebuilt.report(live)).toEqual(report);
    expect(() => agent.approve("s-nope", "x")).toThrow(/no such suggestion/);
  });
});
