/**
 * Child process of the store tests, on the store named by argv[2] (a `--store` value; the data
 * folder is argv[3]):
 * - `crash` mode (argv[5] absent): writes 1…argv[4] one after the other on campaign "crash":
 *   odd writes record a file whose content is the write's number (path `scans/s<i mod 7>.ort`),
 *   even writes store a diagnosis of about 50 kB that carries its number and a checksum; after
 *   each write resolves it prints `ack <i>`. The parent SIGKILLs it part-way and checks that
 *   the store holds writes 1…m, m ≥ the last ack, each whole.
 * - `race` mode: records contents 1…argv[4] at paths `race/<i>.ort` of campaign "race" and
 *   prints `created <i>` or `exists <i>`, starting when a line arrives on stdin; two of these run at once and each content must be
 *   created by exactly one of them.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openStore } from "../../src/store/index.ts";

export const CRASH_CAMPAIGN = "crash";
export const RACE_CAMPAIGN = "race";
/** Numbers in each diagnosis document: about 50 kB of JSON. */
export const CRASH_DOCUMENT_VALUES = 4000;

export const writeSha = (i: number): string => createHash("sha256").update(`write ${i}`).digest("hex");
export const writePath = (i: number): string => `scans/s${i % 7}.ort`;
export const documentValues = (i: number): number[] => Array.from({ length: CRASH_DOCUMENT_VALUES }, (_, k) => i + k / 7);
export const checksum = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0);

async function race(spec: string, dataDir: string, count: number): Promise<void> {
  const store = await openStore(spec, dataDir);
  await store.putCampaign({ id: RACE_CAMPAIGN, name: "race", manifest: {}, watchDir: null });
  // both racers start together: each says it is ready and waits for the parent's "go"
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.destroy();
  for (let i = 1; i <= count; i++) {
    const { created } = await store.recordFile({ campaignId: RACE_CAMPAIGN, path: `race/${i}.ort`, sha256: writeSha(i), size: i, kind: "scan", status: "ingested", error: null });
    process.stdout.write(`${created ? "created" : "exists"} ${i}\n`);
  }
  await store.close();
}

async function main(): Promise<void> {
  const [spec, dataDir, countText, mode] = process.argv.slice(2);
  if (mode === "race") return race(spec, dataDir, Number(countText));
  const store = await openStore(spec, dataDir);
  await store.putCampaign({ id: CRASH_CAMPAIGN, name: "crash", manifest: {}, watchDir: null });
  for (let i = 1; i <= Number(countText); i++) {
    if (i % 2 === 1) {
      await store.recordFile({ campaignId: CRASH_CAMPAIGN, path: writePath(i), sha256: writeSha(i), size: i, kind: "scan", status: "ingested", error: null });
    } else {
      const values = documentValues(i);
      await store.putDiagnosis({ campaignId: CRASH_CAMPAIGN, kind: "live", scans: i, document: { write: i, values, checksum: checksum(values) } });
    }
    process.stdout.write(`ack ${i}\n`);
  }
  await store.close();
}

// run as a script (the test imports the helpers above without running it)
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
