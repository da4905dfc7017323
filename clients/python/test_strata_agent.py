"""Tests of strata_agent (the bluesky-adaptive-shaped adapter) against a live `strata serve`.

Run from this folder with Debian's python3:

    STRATA_URL=http://127.0.0.1:PORT STRATA_TOKEN=… STRATA_READ_TOKEN=… STRATA_CAMPAIGN=example \
    STRATA_CAMPAIGN_DIR=/path/to/examples/campaign STRATA_SCANS=3 \
    /usr/bin/python3 -m unittest -v test_strata_agent

`AgentServiceTest` needs those variables (it fails, never skips, without them): a campaign
registered from STRATA_CAMPAIGN_DIR/campaign.json with its first STRATA_SCANS scans uploaded and
a live diagnosis stored. test/service/pythonAgent.test.ts sets this up against a real service.
`DocumentsTest` needs no service.

Units: s (times), Å⁻¹ (Q).
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from strata_agent import DocumentCollector, NotApproved, StrataAgent, StrataError, documents_from_xy, plan_item  # noqa: E402


def read_ort(path):
    """Q, R, dR, dQ columns of an ORSO file (rows after the # header)."""
    columns = [[], [], [], []]
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            for column, value in zip(columns, line.split()):
                column.append(float(value))
    return {"Q": columns[0], "R": columns[1], "dR": columns[2], "dQ": columns[3]}


class DocumentsTest(unittest.TestCase):
    def test_documents_from_xy_is_a_step_scan(self):
        docs = documents_from_xy({"cell": "A", "spot": "P1", "file": "xrr/X.ort", "start": "2026-03-01T10:00:00Z", "end": "2026-03-01T10:05:00Z"}, {"Q": [0.1, 0.2], "R": [0.9, 0.1], "dR": [0.01, 0.01]}, units="1/nm")
        self.assertEqual([name for name, _ in docs], ["start", "descriptor", "event", "event", "stop"])
        start, descriptor, stop = docs[0][1], docs[1][1], docs[-1][1]
        self.assertEqual(start["strata"], {"cell": "A", "spot": "P1", "file": "xrr/X.ort"})
        self.assertEqual(descriptor["run_start"], start["uid"])
        self.assertEqual(descriptor["data_keys"]["Q"]["units"], "1/nm")
        self.assertEqual([doc["seq_num"] for _, doc in docs[2:4]], [1, 2])
        self.assertEqual(stop["exit_status"], "success")
        self.assertEqual(stop["time"] - start["time"], 300.0)
        json.dumps(docs)  # plain JSON, as the service receives it
        with self.assertRaisesRegex(ValueError, r"^x\.file: required"):
            documents_from_xy({"cell": "A", "spot": "P1", "start": 0, "end": 1}, {"Q": [], "R": [], "dR": []})
        with self.assertRaisesRegex(ValueError, r"^y\.dR: 1 values, but Q has 2"):
            documents_from_xy({"cell": "A", "spot": "P1", "file": "x.ort", "start": 0, "end": 1}, {"Q": [1, 2], "R": [1, 2], "dR": [1]})

    def test_plan_item_needs_approval(self):
        setting = {"qMin": 0.01, "qMax": 0.3, "points": 110, "countTime_s": 300}
        suggestion = {"id": "s-1", "status": "pending", "action": {"kind": "reflectivity", "at_s": 3900, "spot": "P2", "setting": setting}}
        with self.assertRaisesRegex(NotApproved, "s-1: pending"):
            plan_item(suggestion)
        suggestion["status"] = "approved"
        self.assertEqual(plan_item(suggestion), {"name": "reflectivity_scan", "args": [], "kwargs": {"spot": "P2", "q_min": 0.01, "q_max": 0.3, "points": 110, "count_time": 300, "at_s": 3900, "suggestion": "s-1"}, "item_type": "plan"})
        wait = {"id": "s-2", "status": "approved", "action": {"kind": "wait", "until_s": 5000}}
        self.assertEqual(plan_item(wait, names={"wait": "sleep_until"})["name"], "sleep_until")


class AgentServiceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [name for name in ("STRATA_URL", "STRATA_TOKEN", "STRATA_READ_TOKEN", "STRATA_CAMPAIGN", "STRATA_CAMPAIGN_DIR", "STRATA_SCANS") if not os.environ.get(name)]
        if missing:
            raise RuntimeError("set {} (test/service/pythonAgent.test.ts does)".format(", ".join(missing)))
        cls.url = os.environ["STRATA_URL"]
        cls.campaign = os.environ["STRATA_CAMPAIGN"]
        cls.folder = os.environ["STRATA_CAMPAIGN_DIR"]
        cls.scans = int(os.environ["STRATA_SCANS"])
        with open(os.path.join(cls.folder, "campaign.json"), encoding="utf-8") as handle:
            cls.manifest = json.load(handle)
        cls.agent = StrataAgent(cls.url, cls.campaign, token=os.environ["STRATA_TOKEN"], constraints={"spots": [{"id": "P2", "budget_Gy": 100}]})
        cls.reader = StrataAgent(cls.url, cls.campaign, token=os.environ["STRATA_READ_TOKEN"])

    def scan(self, index):
        entry = self.manifest["scans"][index]
        x = {"cell": entry["cell"], "spot": entry["spot"], "file": entry["file"], "start": entry["start"], "end": entry["end"]}
        return x, read_ort(os.path.join(self.folder, entry["file"]))

    def test_1_tell_xy_once(self):
        x, y = self.scan(self.scans)
        told = self.agent.tell(x, y)
        self.assertTrue(told["created"])
        self.assertEqual(told["kind"], "scan")
        self.assertEqual(told["tell"]["file"], x["file"])
        again = self.agent.tell(x, y)
        self.assertFalse(again["created"])
        self.assertIsNone(again["tell"])
        with self.assertRaises(StrataError) as refused:
            self.agent.tell(dict(x, file="xrr/not-in-the-manifest.txt"), y)
        self.assertEqual(refused.exception.status, 400)
        self.assertIn("strata.file: must end in .ort", refused.exception.message)

    def test_2_ask_approve_deny_and_queue(self):
        docs, points = self.agent.ask(3)
        self.assertEqual(len(docs), 3)
        self.assertEqual(points, [doc["action"] for doc in docs])
        for doc in docs:
            self.assertEqual(doc["status"], "pending")
            self.assertIsInstance(doc["gain_nats"], float)
            self.assertTrue(doc["reason"])
        first, second = docs[0], docs[1]
        with self.assertRaises(NotApproved):
            plan_item(first)
        with self.assertRaises(StrataError) as forbidden:
            self.reader.approve(first["id"])
        self.assertEqual(forbidden.exception.status, 403)
        approved = self.agent.approve(first["id"], by="beamline scientist", note="within budget")
        self.assertEqual(approved["status"], "approved")
        self.assertEqual(approved["decision"]["by"], "beamline scientist")
        item = plan_item(approved)
        self.assertEqual(item["kwargs"]["suggestion"], first["id"])
        self.assertEqual(item["item_type"], "plan")
        self.assertIn(item, self.agent.approved_items())
        denied = self.agent.deny(second["id"], note="not now")
        self.assertEqual(denied["status"], "denied")
        with self.assertRaises(StrataError) as conflict:
            self.agent.deny(second["id"])
        self.assertEqual(conflict.exception.status, 409)
        again, _ = self.agent.ask(3)
        self.assertNotIn(second["action"], [doc["action"] for doc in again])
        report = self.reader.report()
        statuses = {doc["id"]: doc["status"] for doc in report["suggestions"]}
        self.assertEqual(statuses[first["id"]], "approved")
        self.assertEqual(statuses[second["id"]], "denied")
        self.assertTrue(report["requireApproval"])
        self.assertIn("P2", [b["spot"] for b in report["budgets"]])

    def test_3_collector_tells_a_run_from_its_documents(self):
        x, y = self.scan(self.scans + 1)
        answers = []
        collector = DocumentCollector(self.agent, on_told=answers.append)
        collector("start", {"uid": "other", "time": 0})  # a run without strata metadata is ignored
        collector("stop", {"uid": "x", "run_start": "other", "time": 1, "exit_status": "success"})
        self.assertEqual(answers, [])
        for name, doc in documents_from_xy(x, y):
            collector(name, doc)
        self.assertEqual(len(answers), 1)
        self.assertTrue(answers[0]["created"], answers[0])
        report = self.reader.report()
        self.assertIn(x["file"], [tell["file"] for tell in report["tells"]])


if __name__ == "__main__":
    unittest.main()
