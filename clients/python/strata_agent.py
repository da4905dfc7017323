"""strata_agent: Strata's experiment agent (``strata serve``) shaped like a bluesky-adaptive agent.

Standard library only (with strata_client beside it); Python >= 3.9.

bluesky-adaptive agents answer ``tell(x, y)`` (a new measurement), ``ask(batch_size)`` (the next
points, with documents describing them) and ``report()``. Here the agent is the service's: it
keeps its state in the campaign's event log, its suggestions come from Strata's dose-aware
planner, and each one waits for a person's approval (``approve``/``deny``) before it may be run,
as facilities ask for AI-submitted plans.

    from strata_agent import StrataAgent, plan_item
    agent = StrataAgent("http://127.0.0.1:8080", "example", token="…", target={"kind": "parameter", "name": "k"})
    agent.tell({"cell": "A", "spot": "P1", "file": "xrr/A0031.ort", "start": t0, "end": t1},
               {"Q": q, "R": r, "dR": dr, "dQ": dq})      # Q in 1/angstrom (or units="1/nm")
    docs, points = agent.ask(3)                             # suggestions (pending) and their actions
    agent.approve(docs[0]["id"], by="beamline scientist")
    item = plan_item(agent.suggestion(docs[0]["id"]))      # {"name": "reflectivity_scan", "kwargs": {…}}

A RunEngine can feed the agent directly: ``RE.subscribe(DocumentCollector(agent))`` tells it every
completed run (its start document carrying ``md={"strata": {"cell", "spot", "file"}}``).

Units, as the service uses them: times s on the campaign clock (``at_s``, ``until_s``; since the
campaign's t0) or s since the epoch / ISO-8601 (run start and end), Q Å⁻¹, dose Gy, counting time
s, information nats.
"""

import datetime
import uuid
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from strata_client import Client, StrataError

__all__ = ["StrataAgent", "DocumentCollector", "documents_from_xy", "plan_item", "NotApproved", "StrataError"]

__version__ = "0.1.0"

#: plan names the queue items use (rename them to the beamline's own plans)
PLAN_NAMES = {"reflectivity": "reflectivity_scan", "impedance": "impedance_spectrum", "wait": "wait_until"}

Document = Tuple[str, Dict[str, Any]]


class NotApproved(Exception):
    """A suggestion that is not approved was turned into a plan."""


def _epoch(value: Union[float, int, str, datetime.datetime]) -> float:
    """s since the epoch from a number, an ISO-8601 string (with a zone) or an aware datetime."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("time {!r}: give a zone (UTC), e.g. 2026-03-01T10:10:00Z".format(value.isoformat()))
        return value.timestamp()
    raise ValueError("time: expected s since the epoch, an ISO-8601 string or a datetime, got {!r}".format(value))


def documents_from_xy(x: Dict[str, Any], y: Dict[str, Sequence[float]], units: str = "1/angstrom") -> List[Document]:
    """Event-model documents of one reflectivity scan, as a step scan writes them (one Event per point).

    ``x``: where and when — ``cell``, ``spot``, ``file`` (campaign-relative ``.ort`` path), ``start``
    and ``end`` (s since the epoch or ISO-8601 with a zone), optional ``scan`` (the id) and ``plan_name``.
    ``y``: the curve — ``Q``, ``R``, ``dR`` (1 σ), optional ``dQ`` (1 σ); Q and dQ in ``units``
    (``1/angstrom`` or ``1/nm``)."""
    for key in ("cell", "spot", "file", "start", "end"):
        if key not in x:
            raise ValueError("x.{}: required (x names the scan: cell, spot, file, start, end)".format(key))
    for key in ("Q", "R", "dR"):
        if key not in y:
            raise ValueError("y.{}: required (y is the curve: Q, R, dR, optional dQ)".format(key))
    n = len(y["Q"])
    for key in ("R", "dR", "dQ"):
        if key in y and len(y[key]) != n:
            raise ValueError("y.{}: {} values, but Q has {}".format(key, len(y[key]), n))
    start, end = _epoch(x["start"]), _epoch(x["end"])
    uid = str(uuid.uuid4())
    descriptor = str(uuid.uuid4())
    meta = {"cell": x["cell"], "spot": x["spot"], "file": x["file"]}
    if "scan" in x:
        meta["scan"] = x["scan"]
    keys = [k for k in ("Q", "R", "dR", "dQ") if k in y]
    data_keys = {k: {"source": "strata_agent", "dtype": "number", "shape": [], "units": units if k in ("Q", "dQ") else ""} for k in keys}
    docs: List[Document] = [
        ("start", {"uid": uid, "time": start, "plan_name": x.get("plan_name", "reflectivity_scan"), "scan_id": 1, "strata": meta}),
        ("descriptor", {"uid": descriptor, "run_start": uid, "time": start, "name": "primary", "data_keys": data_keys, "object_keys": {}, "configuration": {}}),
    ]
    step = (end - start) / max(n, 1)
    for i in range(n):
        t = start + i * step
        docs.append(("event", {"uid": str(uuid.uuid4()), "descriptor": descriptor, "seq_num": i + 1, "time": t, "data": {k: float(y[k][i]) for k in keys}, "timestamps": {k: t for k in keys}}))
    docs.append(("stop", {"uid": str(uuid.uuid4()), "run_start": uid, "time": end, "exit_status": "success", "reason": "", "num_events": {"primary": n}}))
    return docs


def plan_item(suggestion: Dict[str, Any], names: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """A queue-server plan item for an approved suggestion: ``{"name", "args", "kwargs", "item_type": "plan"}``.

    A reflectivity scan: ``reflectivity_scan(spot=, q_min=, q_max=, points=, count_time=, at_s=,
    suggestion=)``; an impedance spectrum: ``impedance_spectrum(at_s=, suggestion=)``; waiting:
    ``wait_until(until_s=, suggestion=)``. Raises NotApproved unless its status is ``approved``."""
    status = suggestion.get("status")
    if status != "approved":
        raise NotApproved("suggestion {}: {} — only an approved suggestion becomes a plan".format(suggestion.get("id"), status))
    action = suggestion["action"]
    kind = action["kind"]
    plan_names = dict(PLAN_NAMES, **(names or {}))
    if kind == "reflectivity":
        setting = action["setting"]
        kwargs = {"spot": action["spot"], "q_min": setting["qMin"], "q_max": setting["qMax"], "points": setting["points"], "count_time": setting["countTime_s"], "at_s": action["at_s"]}
    elif kind == "impedance":
        kwargs = {"at_s": action["at_s"]}
    elif kind == "wait":
        kwargs = {"until_s": action["until_s"]}
    else:
        raise ValueError("suggestion {}: unknown action kind {!r}".format(suggestion.get("id"), kind))
    kwargs["suggestion"] = suggestion["id"]
    return {"name": plan_names[kind], "args": [], "kwargs": kwargs, "item_type": "plan"}


class StrataAgent:
    """One campaign's agent in ``strata serve`` (see the module docstring).

    ``target``: what to learn — ``{"kind": "parameter", "name": "k"}``, ``{"kind": "law"}``,
    ``{"kind": "damage"}``, ``{"kind": "thickness", "at_s": 7200}`` (default: the posterior law's
    rate parameter); ``constraints``: overrides of the campaign's (spots with ``budget_Gy``, …)."""

    def __init__(
        self,
        service: Union[str, Client],
        campaign: str,
        token: Optional[str] = None,
        target: Optional[Dict[str, Any]] = None,
        constraints: Optional[Dict[str, Any]] = None,
        cell: Optional[str] = None,
    ):
        self.client = service if isinstance(service, Client) else Client(service, token=token)
        self.campaign = campaign
        self.target = target
        self.constraints = constraints
        self.cell = cell

    def _path(self, tail: str) -> str:
        return "/api/campaigns/{}/agent/{}".format(Client._id(self.campaign), tail)

    # ---- bluesky-adaptive's three methods ------------------------------------------------

    def tell(self, x: Dict[str, Any], y: Dict[str, Sequence[float]], units: str = "1/angstrom", suggestion: Optional[str] = None) -> Dict[str, Any]:
        """Tell one measured scan (see :func:`documents_from_xy` for x and y); returns the service's
        answer (``created``: a new file version; ``tell``: the recorded tell, or None when the same
        data was told before)."""
        return self.tell_documents(documents_from_xy(x, y, units), suggestion=suggestion)

    def tell_documents(self, docs: Sequence[Document], suggestion: Optional[str] = None) -> Dict[str, Any]:
        """Tell one run's event-model documents (``[(name, doc), …]``: start with ``strata``
        metadata, descriptor, events or event pages, stop)."""
        payload: Dict[str, Any] = {"bluesky": [[name, doc] for name, doc in docs]}
        if suggestion is not None:
            payload["suggestion"] = suggestion
        return self.client._json("POST", self._path("tell"), payload=payload)

    def tell_file(self, path: str, content: str, suggestion: Optional[str] = None, scan: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Tell a scan file's text at its campaign-relative path (``scan``: the manifest entry
        ``{id, cell, spot, start, end}`` when the manifest does not name the file yet)."""
        payload: Dict[str, Any] = {"file": path, "content": content}
        if suggestion is not None:
            payload["suggestion"] = suggestion
        if scan is not None:
            payload["scan"] = scan
        return self.client._json("POST", self._path("tell"), payload=payload)

    def ask(self, batch_size: int = 1) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
        """The next ``batch_size`` suggestions: ``(docs, points)`` — each doc a suggestion (id,
        action, gain_nats, cost, score, reason, status ``pending``), each point its action."""
        payload: Dict[str, Any] = {"n": batch_size}
        if self.target is not None:
            payload["target"] = self.target
        if self.constraints is not None:
            payload["constraints"] = self.constraints
        if self.cell is not None:
            payload["cell"] = self.cell
        answer = self.client._json("POST", self._path("ask"), payload=payload)
        docs = answer["suggestions"]
        return docs, [doc["action"] for doc in docs]

    def report(self) -> Dict[str, Any]:
        """The agent's state: target and its posterior, dose per spot against budgets, suggestions, last tells."""
        return self.client._json("GET", self._path("report"))

    # ---- the approval gate -----------------------------------------------------------------

    def approve(self, suggestion: str, by: Optional[str] = None, note: Optional[str] = None) -> Dict[str, Any]:
        """A person approves a pending suggestion; returns it (status ``approved``)."""
        return self._decide("approve", suggestion, by, note)

    def deny(self, suggestion: str, by: Optional[str] = None, note: Optional[str] = None) -> Dict[str, Any]:
        """A person denies a pending suggestion (not suggested again until a new measurement)."""
        return self._decide("deny", suggestion, by, note)

    def _decide(self, decision: str, suggestion: str, by: Optional[str], note: Optional[str]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {}
        if by is not None:
            payload["by"] = by
        if note is not None:
            payload["note"] = note
        tail = "suggestions/{}/{}".format(Client._id(suggestion), decision)
        return self.client._json("POST", self._path(tail), payload=payload)["suggestion"]

    def suggestion(self, suggestion_id: str) -> Dict[str, Any]:
        """One suggestion as the report has it now (KeyError when unknown)."""
        for doc in self.report()["suggestions"]:
            if doc["id"] == suggestion_id:
                return doc
        raise KeyError("suggestion {}: not in the agent's report".format(suggestion_id))

    def approved_items(self) -> List[Dict[str, Any]]:
        """Queue-server plan items of every approved suggestion not yet run (oldest first)."""
        return [plan_item(doc) for doc in self.report()["suggestions"] if doc["status"] == "approved"]


class DocumentCollector:
    """A RunEngine callback (``RE.subscribe(DocumentCollector(agent))``): collects one run's
    documents and tells the agent when its stop document arrives. Runs whose start has no
    ``strata`` metadata are ignored; ``on_told`` receives each answer (or the StrataError)."""

    def __init__(self, agent: StrataAgent, on_told: Optional[Callable[[Any], None]] = None):
        self.agent = agent
        self.on_told = on_told
        self._docs: List[Document] = []
        self.answers: List[Any] = []

    def __call__(self, name: str, doc: Dict[str, Any]) -> None:
        if name == "start":
            self._docs = [(name, doc)] if "strata" in doc else []
            return
        if not self._docs:
            return
        self._docs.append((name, doc))
        if name == "stop":
            docs, self._docs = self._docs, []
            try:
                answer: Any = self.agent.tell_documents(docs)
            except StrataError as error:
                answer = error
            self.answers.append(answer)
            if self.on_told is not None:
                self.on_told(answer)
