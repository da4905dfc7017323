/**
 * @module test/service/python
 * The Python client (clients/python/strata_client.py) against the real service: spawns
 * `node bin/strata.js serve --port 0 --data TMP`, makes a write and a read token with
 * `strata serve token create`, registers the example campaign and uploads its first scans over
 * HTTP, then runs Debian's `/usr/bin/python3 -m unittest` on clients/python/test_strata_client.py
 * with the service's address, the tokens and the campaign in its environment, and asserts it
 * passes (every test, none skipped). The unittest also runs the README's "Follow a live campaign
 * from Jupyter" python blocks as written, which need python3-pandas and python3-requests.
 *
 * Units: ms for timeouts.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAMPAIGN_DIR, CAMPAIGN_ID, CLIENT_DIR, PYTHON, PythonTestService, pythonModulesMissing } from "./pythonService.ts";

/**
 * scans uploaded before the Python tests start (they upload the next one themselves); one, so
 * the run waits for the engine's first update and one cheap one (the third scan's update
 * costs seconds more)
 */
const SCANS_UPLOADED = 1;
/** the whole Python run: its slowest test waits for one more live update */
const PYTHON_RUN_MS = 90_000;
/** tests in clients/python/test_strata_client.py: all of them must run, none skipped */
const PYTHON_TESTS = 21;

const service = new PythonTestService();
let writeToken = "";
let readToken = "";

describe("Python client against strata serve", () => {
  beforeAll(async () => {
    // one after the other: two processes opening a new SQLite store at once may meet "database is locked"
    writeToken = await service.createToken("write");
    readToken = await service.createToken("read");
    await service.start();
    const manifest = await service.registerExample(writeToken);
    for (let i = 0; i < SCANS_UPLOADED; i++) await service.uploadScan(writeToken, manifest, i);
  });

  afterAll(() => service.stop());

  it("passes its unittest (every client method, the README's Jupyter section, reconnection) with Debian's python3", () => {
    expect(pythonModulesMissing(["pandas", "requests"]), "the README's notebook blocks use pandas and requests").toBeUndefined();
    const run = spawnSync(PYTHON, ["-m", "unittest", "-v", "test_strata_client"], {
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
