"""Tests of strata_client against a live `strata serve` (and of its event-stream reconnection).

Run from this folder with Debian's python3:

    STRATA_URL=http://127.0.0.1:PORT STRATA_TOKEN=… STRATA_READ_TOKEN=… STRATA_CAMPAIGN=example \
    STRATA_CAMPAIGN_DIR=/path/to/examples/campaign STRATA_SCANS=3 \
    /usr/bin/python3 -m unittest -v test_strata_client

`LiveServiceTest` needs those variables (it fails, never skips, without them): a campaign
registered from STRATA_CAMPAIGN_DIR/campaign.json with its first STRATA_SCANS scans uploaded.
It uploads the next scan itself. test/service/python.test.ts sets all of this up against a real
service. `FakeDroppingEventStreamTest` needs no service: a local HTTP server that misbehaves on
purpose (drops the stream mid-event, answers 503 once) checks that events() reconnects with
Last-Event-ID and neither loses nor repeats an event.

Units: seconds for timeouts, Å for thicknesses, bytes for sizes.
"""

import csv
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from strata_client import Client, Event, StrataError, _SSEParser  # noqa: E402

#: seconds the live tests wait for the service's diagnosis to catch up with an upload
DIAGNOSIS_WAIT_S = 60.0
#: seconds the fake-server tests allow a generator to run before they call it stuck
FAKE_STREAM_TIMEOUT_S = 10.0
#: the heading of the documentation section whose python blocks are run as written
README_SECTION = "Follow a live campaign from Jupyter"
#: the reconnection delay the fake server asks for (ms), short so the test is quick
FAKE_RETRY_MS = 50
#: which client method covers each route of the service's OpenAPI document ("page": the live
#: page, for browsers); a route missing here fails test_every_route_has_a_method
ROUTE_METHODS = {
    ("get", "/health"): "health",
    ("get", "/api/openapi.json"): "openapi",
    ("post", "/api/campaigns"): "register",
    ("get", "/api/campaigns"): "campaigns",
    ("get", "/api/campaigns/{id}"): "campaign",
    ("put", "/api/campaigns/{id}/files/{path}"): "upload",
    ("get", "/api/campaigns/{id}/files"): "files",
    ("get", "/api/campaigns/{id}/ingest"): "ingest_state",
    ("get", "/api/campaigns/{id}/diagnosis"): "diagnosis",
    ("get", "/api/campaigns/{id}/diagnoses"): "diagnoses",
    ("get", "/api/campaigns/{id}/timeline"): "timeline",
    ("get", "/api/campaigns/{id}/timeline.csv"): "timeline_csv",
    ("get", "/api/events"): "events",
    ("get", "/api/work"): "work",
    ("get", "/api/jobs"): "jobs",
    ("get", "/"): "page",
    ("get", "/campaigns/{id}"): "page",
    # the agent API: strata_agent.StrataAgent's methods
    ("post", "/api/campaigns/{id}/agent/tell"): "agent.tell_documents",
    ("post", "/api/campaigns/{id}/agent/ask"): "agent.ask",
    ("post", "/api/campaigns/{id}/agent/suggestions/{sid}/approve"): "agent.approve",
    ("post", "/api/campaigns/{id}/agent/suggestions/{sid}/deny"): "agent.deny",
    ("get", "/api/campaigns/{id}/agent/report"): "agent.report",
}
#: how often the fake server's loop looks for shutdown (s); the default 0.5 s costs every test
FAKE_POLL_S = 0.02
#: seconds the tests follow an event stream before its timeout ends it
EVENTS_WINDOW_S = 0.5
#: seconds the idle-stream test follows the fake: room for its drop, its 503 and two reconnections
FAKE_IDLE_WINDOW_S = 1.0
#: seconds an event generator may overrun its timeout (a loaded 2-core machine)
TIMEOUT_SLACK_S = 2.0
#: how early a timed-out generator may stop (clock granularity)
TIMEOUT_EARLY_S = 0.1


def python_blocks(markdown, heading):
    """The ```python blocks of the section under `heading` (until the next heading of the same
    or a higher level)."""
    lines = markdown.splitlines()
    start = None
    level = 0
    for i, line in enumerate(lines):
        match = re.match(r"^(#+)\s+(.*?)\s*$", line)
        if match and match.group(2) == heading:
            start, level = i + 1, len(match.group(1))
            break
    if start is None:
        return []
    blocks, current, inside = [], [], False
    for line in lines[start:]:
        match = re.match(r"^(#+)\s", line)
        if not inside and match and len(match.group(1)) <= level:
            break
        if not inside and line.strip() == "```python":
            inside, current = True, []
        elif inside and line.strip() == "```":
            inside = False
            blocks.append("\n".join(current))
        elif inside:
            current.append(line)
    return blocks


def required_env(name):
    value = os.environ.get(name)
    if not value:
        raise AssertionError(
            "{} is not set: LiveServiceTest runs against a live `strata serve` "
            "(see this file's docstring; test/service/python.test.ts sets it up)".format(name)
        )
    return value


class LiveServiceTest(unittest.TestCase):
    """Every client method against the real service named by STRATA_URL."""

    @classmethod
    def setUpClass(cls):
        cls.url = required_env("STRATA_URL")
        cls.token = required_env("STRATA_TOKEN")
        cls.read_token = required_env("STRATA_READ_TOKEN")
        cls.campaign_id = required_env("STRATA_CAMPAIGN")
        cls.campaign_dir = required_env("STRATA_CAMPAIGN_DIR")
        cls.scans = int(required_env("STRATA_SCANS"))
        with open(os.path.join(cls.campaign_dir, "campaign.json"), encoding="utf-8") as handle:
            cls.manifest = json.load(handle)
        cls.client = Client(cls.url, cls.token)
        cls.reader = Client(cls.url, cls.read_token)
        # every test below reads a diagnosis that has seen the uploaded scans
        cls.client.wait_for_scans(cls.campaign_id, cls.scans, timeout=DIAGNOSIS_WAIT_S)

    def scan_file(self, index):
        """(manifest-relative path, bytes) of the campaign's scan number `index` (0-based)."""
        path = self.manifest["scans"][index]["file"]
        with open(os.path.join(self.campaign_dir, *path.split("/")), "rb") as handle:
            return path, handle.read()

    def test_health_answers_without_a_token(self):
        health = Client(self.url).health()
        self.assertEqual(health["status"], "ok")
        self.assertIn(health["store"], ("sqlite", "postgres"))
        self.assertIsInstance(health["version"], str)

    def test_every_route_has_a_method(self):
        document = self.reader.openapi()
        self.assertTrue(str(document["openapi"]).startswith("3.1"))
        routes = set()
        for path, operations in document["paths"].items():
            for method in operations:
                if method in ("get", "put", "post", "delete", "patch"):
                    routes.add((method, path))
        missing = sorted(routes - set(ROUTE_METHODS))
        self.assertEqual(missing, [], "routes of the service without a client method")
        from strata_agent import StrataAgent

        for route, name in ROUTE_METHODS.items():
            if name.startswith("agent."):
                self.assertTrue(callable(getattr(StrataAgent, name[len("agent."):])), route)
            elif name != "page":
                self.assertTrue(callable(getattr(Client, name)), route)
        work = self.reader.work(self.campaign_id)
        self.assertGreaterEqual(len(work), 1)
        self.assertEqual({w["campaignId"] for w in work}, {self.campaign_id})
        self.assertTrue({w["state"] for w in work} <= {"queued", "running", "done", "failed"})
        live = self.reader.diagnosis(self.campaign_id, kind="live")
        self.assertEqual(live["format"], "strata-live/1")
        # a service without --queue: no queue, no jobs
        self.assertEqual(self.reader.jobs(limit=10), {"queue": False, "jobs": []})

    def test_campaigns_and_campaign_record(self):
        listed = {c["id"]: c for c in self.reader.campaigns()}
        self.assertIn(self.campaign_id, listed)
        self.assertEqual(listed[self.campaign_id]["name"], self.manifest["name"])
        self.assertGreaterEqual(listed[self.campaign_id]["scans"], self.scans)
        record = self.reader.campaign(self.campaign_id)
        self.assertEqual(record["id"], self.campaign_id)
        self.assertEqual(record["name"], self.manifest["name"])
        paths = {f["path"] for f in self.reader.files(self.campaign_id)}
        for index in range(self.scans):
            self.assertIn(self.manifest["scans"][index]["file"], paths)
        state = self.reader.ingest_state(self.campaign_id)
        self.assertGreaterEqual(state["ingested"], self.scans)
        self.assertIsInstance(state["rejected"], list)

    def test_diagnosis_is_a_live_document_with_versions(self):
        doc = self.reader.diagnosis(self.campaign_id)
        self.assertEqual(doc["format"], "strata-live/1")
        self.assertEqual(doc["campaign"], self.manifest["name"])
        self.assertGreaterEqual(doc["scans"], self.scans)
        cell = doc["cells"][0]
        self.assertEqual(cell["id"], self.manifest["cells"][0]["id"])
        self.assertGreaterEqual(len(cell["timeline"]), self.scans)
        for point in cell["timeline"]:
            band = point["thickness_A"]
            self.assertLessEqual(band["lo95"], band["median"])
            self.assertLessEqual(band["median"], band["hi95"])
        versions = self.reader.diagnoses(self.campaign_id)
        self.assertGreaterEqual(len(versions), 1)
        first = self.reader.diagnosis(self.campaign_id, version=versions[0]["version"])
        self.assertIn(first["format"], ("strata-live/1", "strata-diagnosis/1"))
        with self.assertRaises(StrataError) as caught:
            self.reader.diagnosis(self.campaign_id, version=10**6)
        self.assertEqual(caught.exception.status, 404)

    def test_timeline_json_and_csv_agree(self):
        rows = self.reader.timeline(self.campaign_id)
        self.assertGreaterEqual(len(rows), self.scans)
        expected = {"cell", "scan", "time_s", "median_A", "lo95_A", "hi95_A", "independent_A", "stderr_A"}
        for row in rows:
            self.assertTrue(expected <= set(row), "timeline row lacks {}".format(expected - set(row)))
        text = self.reader.timeline_csv(self.campaign_id)
        table = list(csv.DictReader(io.StringIO(text)))
        self.assertTrue(expected <= set(table[0]))
        # the CSV may have been read after one more update: compare the scans both have
        by_key = {(r["cell"], r["scan"]): r for r in rows}
        common = [t for t in table if (t["cell"], t["scan"]) in by_key]
        self.assertGreaterEqual(len(common), self.scans)
        for t in common:
            r = by_key[(t["cell"], t["scan"])]
            self.assertAlmostEqual(float(t["time_s"]), r["time_s"], places=6)

    def test_upload_next_scan_exactly_once_and_diagnosis_follows(self):
        path, data = self.scan_file(self.scans)
        answer = self.client.upload(self.campaign_id, path, data)
        self.assertTrue(answer["created"])
        self.assertEqual(answer["file"]["path"], path)
        self.assertEqual(answer["file"]["size"], len(data))
        again = self.client.upload(self.campaign_id, path, data)
        self.assertFalse(again["created"])
        self.assertEqual(again["file"]["version"], answer["file"]["version"])
        doc = self.client.wait_for_scans(self.campaign_id, self.scans + 1, timeout=DIAGNOSIS_WAIT_S)
        self.assertGreaterEqual(doc["scans"], self.scans + 1)
        scan_ids = [p["scan"] for p in doc["cells"][0]["timeline"]]
        self.assertIn(self.manifest["scans"][self.scans]["id"], scan_ids)
        # the upload is in the event log exactly once
        ingested = [
            e for e in self.reader.events(campaign=self.campaign_id, after=0, timeout=EVENTS_WINDOW_S)
            if e.type == "file.ingested" and e.data.get("path") == path
        ]
        self.assertEqual(len(ingested), 1, ingested)

    def test_events_are_ordered_carry_the_campaign_and_stop_at_the_timeout(self):
        started = time.monotonic()
        events = list(self.reader.events(campaign=self.campaign_id, after=0, timeout=EVENTS_WINDOW_S))
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, EVENTS_WINDOW_S - TIMEOUT_EARLY_S)
        self.assertLess(elapsed, EVENTS_WINDOW_S + TIMEOUT_SLACK_S)
        self.assertGreater(len(events), self.scans)
        seqs = [e.seq for e in events]
        self.assertEqual(seqs, sorted(set(seqs)))
        for event in events:
            self.assertEqual(event.data["campaignId"], self.campaign_id)
        types = {e.type for e in events}
        self.assertIn("file.ingested", types)
        self.assertIn("diagnosis.updated", types)
        # starting after a sequence number skips what came before
        later = list(self.reader.events(campaign=self.campaign_id, after=seqs[1], timeout=EVENTS_WINDOW_S))
        self.assertEqual([e.seq for e in later][: len(seqs) - 2], seqs[2:])

    def test_errors_carry_status_and_one_line_message(self):
        with self.assertRaises(StrataError) as caught:
            Client(self.url, "strata_not-a-token").campaigns()
        self.assertEqual(caught.exception.status, 401)
        with self.assertRaises(StrataError) as caught:
            Client(self.url).campaigns()
        self.assertEqual(caught.exception.status, 401)
        path, data = self.scan_file(self.scans + 1)
        with self.assertRaises(StrataError) as caught:
            self.reader.upload(self.campaign_id, path, data)
        self.assertEqual(caught.exception.status, 403)
        with self.assertRaises(StrataError) as caught:
            self.reader.campaign("no-such-campaign")
        self.assertEqual(caught.exception.status, 404)
        self.assertTrue(caught.exception.message)
        self.assertNotIn("\n", caught.exception.message)
        with self.assertRaises(StrataError) as caught:
            list(Client(self.url, "strata_not-a-token").events(timeout=EVENTS_WINDOW_S))
        self.assertEqual(caught.exception.status, 401)

    def test_bad_upload_is_rejected_with_its_reason_and_stores_nothing(self):
        path = self.manifest["scans"][self.scans + 2]["file"]
        before = self.reader.files(self.campaign_id)
        with self.assertRaises(StrataError) as caught:
            self.client.upload(self.campaign_id, path, b"# not an ORSO file\n1 2 three\n")
        self.assertEqual(caught.exception.status, 400)
        self.assertIn(path.split("/")[-1], caught.exception.message)
        self.assertNotIn("\n", caught.exception.message)
        after = [f for f in self.reader.files(self.campaign_id) if f["status"] == "ingested"]
        self.assertEqual(sorted(f["path"] for f in after), sorted(f["path"] for f in before if f["status"] == "ingested"))
        self.assertNotIn(path, {f["path"] for f in after})

    def test_register_validates_the_manifest(self):
        with self.assertRaises(StrataError) as caught:
            self.client.register({"format": "strata-campaign/1", "name": "no cells"}, id="broken")
        self.assertEqual(caught.exception.status, 400)
        self.assertNotIn("\n", caught.exception.message)
        self.assertNotIn("broken", {c["id"] for c in self.reader.campaigns()})
        with self.assertRaises(StrataError) as caught:
            self.reader.register(self.manifest, id="read-only-may-not")
        self.assertEqual(caught.exception.status, 403)
        new_id = "py-{}".format(os.urandom(4).hex())
        created = self.client.register(self.manifest, id=new_id)
        self.assertEqual(created["campaign"]["id"], new_id)
        self.assertIn(new_id, {c["id"] for c in self.reader.campaigns()})

    def test_wait_for_scans_times_out_with_a_count(self):
        with self.assertRaises(TimeoutError) as caught:
            self.reader.wait_for_scans(self.campaign_id, 10**6, timeout=EVENTS_WINDOW_S)
        self.assertIn("of 1000000 scans", str(caught.exception))

    def test_command_line(self):
        """`strata_client.py diagnosis|timeline|events` with the address and token from the environment."""
        script = os.path.join(HERE, "strata_client.py")
        env = dict(os.environ, STRATA_URL=self.url, STRATA_TOKEN=self.read_token)

        def run(*args, **changes):
            return subprocess.run(
                [sys.executable, script, *args], env=dict(env, **changes), capture_output=True, text=True, timeout=DIAGNOSIS_WAIT_S
            )

        shown = run("diagnosis", self.campaign_id)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(json.loads(shown.stdout)["format"], "strata-live/1")
        table = run("timeline", self.campaign_id)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertTrue(table.stdout.startswith("cell,scan,time_s,"), table.stdout[:80])
        followed = run("events", "--campaign", self.campaign_id, "--after", "0", "--timeout", str(EVENTS_WINDOW_S))
        self.assertEqual(followed.returncode, 0, followed.stderr)
        lines = [json.loads(line) for line in followed.stdout.splitlines()]
        self.assertGreater(len(lines), self.scans)
        self.assertEqual({"seq", "type", "data"}, set(lines[0]))
        refused = run("diagnosis", self.campaign_id, STRATA_TOKEN="strata_not-a-token")
        self.assertEqual(refused.returncode, 1)
        self.assertEqual(len(refused.stderr.strip().splitlines()), 1, refused.stderr)
        self.assertIn("HTTP 401", refused.stderr)
        unset = run("diagnosis", self.campaign_id, STRATA_URL="")
        self.assertEqual(unset.returncode, 2)

    def test_readme_section_runs_as_written(self):
        """Every python block of 'Follow a live campaign from Jupyter' in clients/python/README.md
        (and in the project README once the section is there) runs against the service, in order,
        in one namespace, like notebook cells."""
        sources = [os.path.join(HERE, "README.md"), os.path.join(HERE, "..", "..", "README.md")]
        ran = 0
        for source in sources:
            if not os.path.exists(source):
                continue
            with open(source, encoding="utf-8") as handle:
                blocks = python_blocks(handle.read(), README_SECTION)
            if source == sources[0]:
                self.assertGreaterEqual(len(blocks), 4, "the client README lost its python blocks")
            env = dict(os.environ, STRATA_TOKEN=self.read_token, STRATA_CLIENT_DIR=HERE)
            saved = dict(os.environ)
            os.environ.update(env)
            try:
                namespace = {"__name__": "readme"}
                for index, block in enumerate(blocks):
                    with self.subTest(source=os.path.basename(os.path.dirname(source)) + "/README.md", block=index):
                        exec(compile(block, "{} block {}".format(source, index), "exec"), namespace)
                        ran += 1
                if blocks:
                    self.assertGreaterEqual(len(namespace["timeline"]), self.scans)
                    self.assertGreaterEqual(len(namespace["table"]), self.scans)
                    self.assertIn("median_A", namespace["table"].columns)
                    self.assertGreaterEqual(namespace["doc"]["scans"], self.scans)
            finally:
                os.environ.clear()
                os.environ.update(saved)
        self.assertGreaterEqual(ran, 4)


class _FakeEventServer(http.server.ThreadingHTTPServer):
    """A deliberately misbehaving event stream (see FakeDroppingEventStreamTest)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _FakeEventHandler)
        self.connections = []  # (path, Last-Event-ID header or None, Authorization)
        self.lock = threading.Lock()


def _frame(seq, kind, payload, crlf=False):
    end = "\r\n" if crlf else "\n"
    data = json.dumps(payload)
    return "id: {}{e}event: {}{e}data: {}{e}{e}".format(seq, kind, data, e=end)


class _FakeEventHandler(http.server.BaseHTTPRequestHandler):
    """Connection 1: retry, a comment, events 1 and 2 (one with CRLF and data split over two
    lines), then half of event 3, then the connection drops. Connection 2: 503 (the service
    restarting). Connection 3: event 2 again (must not be repeated to the caller), 3 and 4,
    then heartbeats until the client leaves. A wrong token gets 401."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            server.connections.append((self.path, self.headers.get("Last-Event-ID"), self.headers.get("Authorization")))
            n = len(server.connections)
        if self.headers.get("Authorization") != "Bearer good":
            body = json.dumps({"error": "missing or unknown token"}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if n == 2:
            body = json.dumps({"error": "service restarting"}).encode()
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        if n == 1:
            text = "retry: {}\n: connected at seq 0\n\n".format(FAKE_RETRY_MS)
            text += _frame(1, "file.ingested", {"path": "xrr/A0001.ort", "campaignId": "c"})
            text += "id: 2\r\nevent: diagnosis.updated\r\ndata: {\"version\": 1,\r\ndata:  \"campaignId\": \"c\"}\r\n\r\n"
            text += "id: 3\nevent: file.ingested\ndata: {\"path\": \"half"  # dropped mid-event
            self.wfile.write(text.encode())
            self.wfile.flush()
            return
        text = _frame(2, "diagnosis.updated", {"version": 1, "campaignId": "c"})
        text += _frame(3, "file.ingested", {"path": "xrr/A0002.ort", "campaignId": "c"})
        text += _frame(4, "diagnosis.updated", {"version": 2, "campaignId": "c"}, crlf=True)
        self.wfile.write(text.encode())
        self.wfile.flush()
        try:
            for _ in range(int(FAKE_STREAM_TIMEOUT_S / 0.2)):
                time.sleep(0.2)
                self.wfile.write(b": heartbeat\n\n")
                self.wfile.flush()
        except OSError:
            pass


class _FakeRestartingHandler(http.server.BaseHTTPRequestHandler):
    """For wait_for_scans: the diagnosis answers 503 (restarting), then 1 scan, then 2; each
    event-stream connection n sends one diagnosis.updated with id n and closes."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            server.connections.append((self.path, self.headers.get("Last-Event-ID"), self.headers.get("Authorization")))
            n = sum(1 for c in server.connections if c[0].startswith(self.path.split("?")[0]))
        if self.path.startswith("/api/campaigns/c/diagnosis"):
            status, body = (503, {"error": "restarting"}) if n == 1 else (200, {"format": "strata-live/1", "scans": min(n - 1, 2)})
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write("retry: {}\n\n".format(FAKE_RETRY_MS).encode() + _frame(n, "diagnosis.updated", {"version": n, "scans": n}).encode())
        self.wfile.flush()


class FakeDroppingEventStreamTest(unittest.TestCase):
    """Reconnection of events() and wait_for_scans() against the misbehaving fakes above (the
    only tests here without the real service: a real one cannot be made to drop a stream
    mid-event or answer 503 on cue; test/service-long/pythonRestart.test.ts SIGKILLs a real one)."""

    def setUp(self):
        self.server = _FakeEventServer()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": FAKE_POLL_S}, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:{}".format(self.server.server_address[1])

    def tearDown(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def test_reconnects_with_last_event_id_without_loss_or_repeat(self):
        client = Client(self.url, "good")
        started = time.monotonic()
        received = []
        for event in client.events(campaign="c", after=0, timeout=FAKE_STREAM_TIMEOUT_S):
            received.append(event)
            if event.seq == 4:
                break
        self.assertLess(time.monotonic() - started, FAKE_STREAM_TIMEOUT_S / 2)
        self.assertEqual(
            received,
            [
                Event(1, "file.ingested", {"path": "xrr/A0001.ort", "campaignId": "c"}),
                Event(2, "diagnosis.updated", {"version": 1, "campaignId": "c"}),
                Event(3, "file.ingested", {"path": "xrr/A0002.ort", "campaignId": "c"}),
                Event(4, "diagnosis.updated", {"version": 2, "campaignId": "c"}),
            ],
        )
        paths = [c[0] for c in self.server.connections]
        last_ids = [c[1] for c in self.server.connections]
        self.assertEqual(len(paths), 3)
        self.assertEqual(paths[0], "/api/events?campaign=c&after=0")
        self.assertEqual(last_ids, [None, "2", "2"])
        self.assertTrue(all(p.endswith("after=2") for p in paths[1:]))

    def test_stops_at_the_timeout_while_the_stream_is_idle(self):
        client = Client(self.url, "good")
        started = time.monotonic()
        received = [e.seq for e in client.events(after=0, timeout=FAKE_IDLE_WINDOW_S)]
        elapsed = time.monotonic() - started
        self.assertEqual(received, [1, 2, 3, 4])
        self.assertGreaterEqual(elapsed, FAKE_IDLE_WINDOW_S - TIMEOUT_EARLY_S)
        self.assertLess(elapsed, FAKE_IDLE_WINDOW_S + TIMEOUT_SLACK_S)

    def test_a_refused_token_raises_at_once(self):
        started = time.monotonic()
        with self.assertRaises(StrataError) as caught:
            next(Client(self.url, "bad").events(timeout=FAKE_STREAM_TIMEOUT_S))
        self.assertEqual(caught.exception.status, 401)
        self.assertEqual(caught.exception.message, "missing or unknown token")
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(len(self.server.connections), 1)

    def test_wait_for_scans_rides_out_a_restart(self):
        self.server.shutdown()
        self.server.server_close()
        self.server = _FakeEventServer()
        self.server.RequestHandlerClass = _FakeRestartingHandler
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": FAKE_POLL_S}, daemon=True).start()
        url = "http://127.0.0.1:{}".format(self.server.server_address[1])
        started = time.monotonic()
        document = Client(url, "good").wait_for_scans("c", 2, timeout=FAKE_STREAM_TIMEOUT_S)
        self.assertEqual(document["scans"], 2)
        self.assertLess(time.monotonic() - started, FAKE_STREAM_TIMEOUT_S / 2)
        diagnosis_reads = [c for c in self.server.connections if c[0].startswith("/api/campaigns/c/diagnosis")]
        self.assertEqual(len(diagnosis_reads), 3)

    def test_wait_for_scans_names_the_last_error_when_the_service_stays_down(self):
        self.server.shutdown()
        self.server.server_close()
        down = self.url
        self.server = None
        with self.assertRaises(TimeoutError) as caught:
            Client(down, "good", timeout=1.0).wait_for_scans("c", 1, timeout=EVENTS_WINDOW_S)
        self.assertIn("0 of 1 scans", str(caught.exception))
        self.assertIn("cannot reach the service", str(caught.exception))

    def test_unreachable_service_raises_a_strata_error_without_status(self):
        self.server.shutdown()
        self.server.server_close()
        with self.assertRaises(StrataError) as caught:
            Client(self.url, "good", timeout=2.0).campaigns()
        self.assertIsNone(caught.exception.status)
        self.server = None


class SSEParserTest(unittest.TestCase):
    """The text/event-stream rules, line by line."""

    def feed(self, text):
        parser = _SSEParser()
        events = [parser.feed_line(line) for line in text.split("\n")]
        return parser, [e for e in events if e is not None]

    def test_fields_comments_and_multiline_data(self):
        parser, events = self.feed(": hello\nretry: 2000\nid: 7\nevent: x\ndata: {\"a\":\ndata: 1}\n\nid: 8\ndata:plain\n\n")
        self.assertEqual(parser.retry_ms, 2000)
        self.assertEqual(events, [Event(7, "x", {"a": 1}), Event(8, "message", "plain")])

    def test_an_event_without_data_is_not_dispatched_and_the_id_persists(self):
        parser, events = self.feed("id: 3\nevent: ping\n\ndata: 5\n\n")
        self.assertEqual(events, [Event(3, "message", 5)])
        self.assertEqual(parser.last_id, "3")


if __name__ == "__main__":
    unittest.main()
