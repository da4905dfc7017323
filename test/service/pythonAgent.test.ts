/**
 * @module test/service/pythonAgent
 * The Python agent adapter (clients/python/strata_agent.py) against the real service (issue 18
 * acceptance: "the Python adapter is tested in CI"): spawns `node bin/strata.js serve --port 0
 * --data TMP`, makes a write and a read token, registers the example campaign and uploads its
 * first scans over HTTP, waits for the first live diagnosis, then runs Debian's
 * `/usr/bin/python3 -m unittest` on clients/python/test_strata_agent.py (standard library only)
 * with the service's address, the tokens and the campaign in its environment, and asserts it
 * passes — every test, none skipped: tell(x, y) once, ask → approve/deny → queue items, the 403
 * of a read token, a RunEngine-style document collector.
 *
 * Units: ms for timeouts.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAMPAIGN_DIR, CAMPAIGN_ID, CLIENT_DIR, PYTHON, PythonTestService } from "./pythonService.ts";

/** scans uploaded before the Python tests start (a posterior needs three) */
const SCANS_UPLOADED = 3;
/** how long the first live diagnosis may take */
const DIAGNOSIS_WAIT_MS = 40_000;
const POLL_MS = 100;
/** the whole Python run */
const PYTHON_RUN_MS = 60_000;
/** tests in clients/python/test_strata_agent.py: all of them must run, none skipped */
const PYTHON_TESTS = 5;

const service = new PythonTestService();
let writeToken = "";
let readToken = "";

describe("Python agent adapter against strata serve", () => {
  beforeAll(async () => {
    writeToken = await service.createToken("write");
    readToken = await service.createToken("read");
    await service.start();
    const manifest = await service.registerExample(writeToken);
    for (let i = 0; i < SCANS_UPLOADED; i++) await service.uploadScan(writeToken, manifest, i);
    const deadline = Date.now() + DIAGNOSIS_WAIT_MS;
    for (;;) {
      const response = await fetch(`${service.baseUrl}/api/campaigns/${CAMPAIGN_ID}/diagnosis?kind=live`, { headers: { authorization: `Bearer ${readToken}` } });
      if (response.ok && ((await response.json()) as { scans: number }).scans >= SCANS_UPLOADED) break;
      if (Date.now() > deadline) throw new Error(`no live diagnosis of ${SCANS_UPLOADED} scans after ${DIAGNOSIS_WAIT_MS} ms:\n${service.output}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  });

  afterAll(() => service.stop());

  it("passes its unittest (tell, ask, approve/deny, queue items, collector) with Debian's python3", () => {
    const run = spawnSync(PYTHON, ["-m", "unittest", "-v", "test_strata_agent"], {
      cwd: CLIENT_DIR,
      encoding: "utf8",
      timeout: PYTHON_RUN_MS,
      env: {
        ...process.env,
        PYTHONDONTWRITEBYTECODE: "1",
        STRATA_URL: service.baseUrl,
        STRATA_TOKEN: writeToken,
        STRATA_READ_TOKEN: readToken,
        STRATA_CAMPAIGN: CAMPAIGN_ID,
        STRATA_CAMPAIGN_DIR: CAMPAIGN_DIR,
        STRATA_SCANS: String(SCANS_UPLOADED),
      },
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, `python3 -m unittest failed:\n${output}\n--- strata serve:\n${service.output}`).toBe(0);
    const ran = /^Ran (\d+) tests? in/m.exec(output);
    expect(Number(ran?.[1] ?? 0)).toBe(PYTHON_TESTS);
    expect(output).not.toMatch(/skipped/);
  });
});
