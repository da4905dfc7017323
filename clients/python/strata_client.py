"""strata_client: follow a live Strata campaign (``strata serve``) from Python and notebooks.

Standard library only (urllib, http.client, json, csv, io); Python >= 3.9.

Units, as the service serves them: times in seconds (``time_s``) and ISO-8601 UTC strings,
thicknesses in Å (``*_A``), sizes in bytes, timeouts and delays in seconds. Documents are
returned as the service sends them (plain ``dict``/``list`` from JSON); the live diagnosis is a
``strata-live/1`` document (see the project README).

    from strata_client import Client
    client = Client("http://127.0.0.1:8080", token="…")
    doc = client.wait_for_scans("example", 5, timeout=60)
    for event in client.events(campaign="example", timeout=30):
        print(event.seq, event.type, event.data)

From a shell, `STRATA_URL=… STRATA_TOKEN=… python3 strata_client.py events --campaign example`
prints the event stream as JSON lines (see `python3 strata_client.py --help`).
"""

import argparse
import http.client
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, List, Optional

__all__ = ["Client", "Event", "StrataError"]

__version__ = "0.1.0"

#: seconds a request may wait for the service before it fails (connect and each read)
DEFAULT_TIMEOUT_S = 30.0
#: seconds without a byte on the event stream after which it counts as dropped; the service
#: sends a heartbeat comment every 15 s, so twice that is a dead connection
EVENT_READ_TIMEOUT_S = 30.0
#: seconds to wait before reconnecting a dropped event stream, unless the service sent `retry:`
EVENT_RECONNECT_DELAY_S = 1.0
#: the longest pause between reconnection attempts (the delay doubles while the service is down)
EVENT_RECONNECT_MAX_DELAY_S = 10.0
#: seconds between re-reads of the diagnosis in wait_for_scans when no event wakes it sooner
WAIT_POLL_S = 5.0


class StrataError(Exception):
    """An error answer from the service: ``status`` is the HTTP status (``None`` when the
    service could not be reached), ``message`` the service's one-line ``error``, ``url`` the
    request's address."""

    def __init__(self, status: Optional[int], message: str, url: str = ""):
        self.status = status
        self.message = message
        self.url = url
        prefix = "HTTP {}".format(status) if status is not None else "no answer"
        super().__init__("{}: {} ({})".format(prefix, message, url) if url else "{}: {}".format(prefix, message))


class Event:
    """One server-sent event of the service's event log.

    ``seq``: the log's sequence number (the SSE ``id:``; strictly increasing; ``None`` for an
    event without an id); ``type``: e.g. ``"file.ingested"``, ``"diagnosis.updated"``;
    ``data``: the decoded JSON payload (it carries ``campaignId``), or the raw text when the
    data is not JSON."""

    __slots__ = ("seq", "type", "data")

    def __init__(self, seq: Optional[int], type: str, data: Any):
        self.seq = seq
        self.type = type
        self.data = data

    def __repr__(self) -> str:
        return "Event(seq={!r}, type={!r}, data={!r})".format(self.seq, self.type, self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Event) and (self.seq, self.type, self.data) == (other.seq, other.type, other.data)


def _error_message(body: bytes, reason: str) -> str:
    """The service's one-line ``error`` from a JSON error body, else the body's first line."""
    text = body.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
            return parsed["error"]
    except ValueError:
        pass
    first = text.splitlines()[0] if text else ""
    return first or reason or "no message"


class _SSEParser:
    """Incremental parser of a text/event-stream (the WHATWG rules the service follows):
    ``field: value`` lines (one space after the colon is dropped), ``:`` comments (heartbeats),
    a blank line dispatches; ``data`` lines are joined with newlines; ``id`` persists as the
    last event id; ``retry`` sets the reconnection delay (ms)."""

    def __init__(self) -> None:
        self.last_id: Optional[str] = None
        self.retry_ms: Optional[int] = None
        self._type = ""
        self._data: List[str] = []
        self._has_data = False

    def feed_line(self, line: str) -> Optional[Event]:
        """Feed one line without its line ending; returns the event a blank line completes."""
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._type = value
        elif field == "data":
            self._data.append(value)
            self._has_data = True
        elif field == "id":
            if "\0" not in value:
                self.last_id = value
        elif field == "retry":
            if value.isdigit():
                self.retry_ms = int(value)
        return None

    def reset_pending(self) -> None:
        """Drop a half-received event (the connection broke before its blank line)."""
        self._type = ""
        self._data = []
        self._has_data = False

    def _dispatch(self) -> Optional[Event]:
        if not self._has_data:
            self._type = ""
            return None
        text = "\n".join(self._data)
        event_type = self._type or "message"
        self.reset_pending()
        try:
            data: Any = json.loads(text)
        except ValueError:
            data = text
        seq: Optional[int] = None
        if self.last_id is not None:
            try:
                seq = int(self.last_id)
            except ValueError:
                seq = None
        return Event(seq, event_type, data)


class Client:
    """A client of one ``strata serve`` service.

    ``base_url``: the address ``strata serve`` prints (``http://HOST:PORT/``); ``token``: a
    secret from ``strata serve token create`` (read scope for reading, write scope for
    :meth:`upload` and :meth:`register`; ``None`` reaches only :meth:`health`);
    ``timeout``: seconds a request may wait for the service (connect and each read).
    """

    def __init__(self, base_url: str, token: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT_S):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("base_url: expected http://HOST:PORT/, got {!r}".format(base_url))
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # ---- plumbing -------------------------------------------------------------------------

    def _url(self, path: str, query: Optional[Dict[str, Any]] = None) -> str:
        url = self.base_url + path
        if query:
            pairs = [(k, str(v)) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        return url

    def _headers(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "strata-client-python/" + __version__}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if extra:
            headers.update(extra)
        return headers

    def _request(
        self,
        method: str,
        path: str,
        query: Optional[Dict[str, Any]] = None,
        body: Optional[bytes] = None,
        content_type: Optional[str] = None,
        accept: Optional[str] = None,
    ) -> "tuple[int, Dict[str, str], bytes]":
        url = self._url(path, query)
        extra: Dict[str, str] = {}
        if content_type:
            extra["Content-Type"] = content_type
        if accept:
            extra["Accept"] = accept
        request = urllib.request.Request(url, data=body, method=method, headers=self._headers(extra))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            raw = error.read() if error.fp is not None else b""
            raise StrataError(error.code, _error_message(raw, str(error.reason)), url) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise StrataError(None, "cannot reach the service: {}".format(reason), url) from None

    def _json(self, method: str, path: str, query: Optional[Dict[str, Any]] = None, payload: Any = None) -> Any:
        body = None if payload is None else json.dumps(payload).encode("utf-8")
        _, _, raw = self._request(method, path, query, body, "application/json" if body is not None else None)
        return json.loads(raw.decode("utf-8")) if raw else None

    @staticmethod
    def _id(campaign_id: str) -> str:
        if not isinstance(campaign_id, str) or not campaign_id:
            raise ValueError("campaign id: expected a non-empty string, got {!r}".format(campaign_id))
        return urllib.parse.quote(campaign_id, safe="")

    # ---- reading --------------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        """``GET /health`` (no token needed): ``{"status": "ok", "version": …, "store": "sqlite"|"postgres"}``."""
        return self._json("GET", "/health")

    def openapi(self) -> Dict[str, Any]:
        """``GET /api/openapi.json``: the OpenAPI 3.1 description of every route."""
        return self._json("GET", "/api/openapi.json")

    def campaigns(self) -> List[Dict[str, Any]]:
        """``GET /api/campaigns``: ``[{id, name, files, scans, diagnosisVersion}]`` (counts of
        files and scans ingested; the latest diagnosis version, or null)."""
        return self._json("GET", "/api/campaigns")

    def campaign(self, campaign_id: str) -> Dict[str, Any]:
        """``GET /api/campaigns/ID``: the campaign record (id, name, manifest, watchDir,
        createdAt) with its ingest state."""
        return self._json("GET", "/api/campaigns/" + self._id(campaign_id))

    def files(self, campaign_id: str) -> List[Dict[str, Any]]:
        """``GET /api/campaigns/ID/files``: every ingested file version (path, version, sha256,
        size in bytes, kind, status, error, ingestedAt)."""
        return self._json("GET", "/api/campaigns/" + self._id(campaign_id) + "/files")

    def ingest_state(self, campaign_id: str) -> Dict[str, Any]:
        """``GET /api/campaigns/ID/ingest``: ``{seen, ingested, waiting: [{path, size, since}],
        rejected: [{path, error}]}`` (sizes in bytes)."""
        return self._json("GET", "/api/campaigns/" + self._id(campaign_id) + "/ingest")

    def diagnosis(self, campaign_id: str, version: Optional[int] = None, kind: Optional[str] = None) -> Dict[str, Any]:
        """``GET /api/campaigns/ID/diagnosis[?version=N|?kind=live|full]``: the latest (or
        version ``N``, or the latest of a kind: ``"live"`` incremental, ``"full"`` complete
        re-run) diagnosis document — strata-live/1: per cell the thickness timeline (Å, with 95 %
        credible bounds), the growth law's weights, parameters with their units, the latest
        scan's fit, current (A) and charge (C) against time (s), impedance (Ω, F), quality flags
        and trust. Raises StrataError 404 while the campaign has no diagnosis (of that kind) yet."""
        query: Dict[str, Any] = {}
        if version is not None:
            query["version"] = int(version)
        if kind is not None:
            query["kind"] = kind
        return self._json("GET", "/api/campaigns/" + self._id(campaign_id) + "/diagnosis", query)

    def diagnoses(self, campaign_id: str) -> List[Dict[str, Any]]:
        """``GET /api/campaigns/ID/diagnoses``: every diagnosis version without its document
        (version, kind "live"|"full", scans, createdAt)."""
        return self._json("GET", "/api/campaigns/" + self._id(campaign_id) + "/diagnoses")

    def timeline(self, campaign_id: str) -> List[Dict[str, Any]]:
        """``GET /api/campaigns/ID/timeline``: one dict per (cell, scan): ``cell``, ``scan``,
        ``time_s`` (s since the campaign's t0), ``median_A``, ``lo95_A``, ``hi95_A`` (the
        law-constrained posterior thickness, Å), ``independent_A``, ``stderr_A`` (the per-scan
        fit, Å)."""
        return self._json("GET", "/api/campaigns/" + self._id(campaign_id) + "/timeline")

    def timeline_csv(self, campaign_id: str) -> str:
        """``GET /api/campaigns/ID/timeline.csv``: the timeline as CSV text with a header line
        (same columns and units as :meth:`timeline`), ready for
        ``pandas.read_csv(io.StringIO(text))`` or ``csv.DictReader(io.StringIO(text))``."""
        _, _, raw = self._request("GET", "/api/campaigns/" + self._id(campaign_id) + "/timeline.csv", accept="text/csv")
        return raw.decode("utf-8")

    def work(self, campaign_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """``GET /api/work[?campaign=ID]``: background work (live updates, full re-runs) and its
        state queued/running/done/failed."""
        return self._json("GET", "/api/work", {"campaign": campaign_id})

    def jobs(self, limit: Optional[int] = None) -> Dict[str, Any]:
        """``GET /api/jobs[?limit=N]``: the job queue's latest jobs, newest first (``strata serve
        --queue``: full runs done by ``strata worker`` processes) as ``{"queue": bool, "jobs": [{id,
        kind, state queued/running/done/failed, campaignId, label, attempts, reason, createdAt,
        finishedAt}]}``; ``{"queue": False, "jobs": []}`` when the service has no queue."""
        return self._json("GET", "/api/jobs", {"limit": limit})

    # ---- writing (write-scope token) ------------------------------------------------------

    def register(self, manifest: Dict[str, Any], id: Optional[str] = None, watch: Optional[str] = None) -> Dict[str, Any]:
        """``POST /api/campaigns``: register a campaign from its ``campaign.json`` document
        (a dict). ``id``: the campaign's URL-safe id (``[a-z0-9][a-z0-9-]{0,62}``; the service
        chooses one when omitted); ``watch``: an absolute folder on the service's machine to
        watch for the campaign's files. Returns ``{"campaign": record}``; StrataError 400 with
        the manifest's one-line problem."""
        payload: Dict[str, Any] = {"manifest": manifest}
        if id is not None:
            payload["id"] = id
        if watch is not None:
            payload["watch"] = watch
        return self._json("POST", "/api/campaigns", payload=payload)

    def upload(self, campaign_id: str, path: str, data: bytes) -> Dict[str, Any]:
        """``PUT /api/campaigns/ID/files/PATH``: upload one file's bytes at its manifest-relative
        ``path`` (``/``-separated, e.g. ``"xrr/A0004.ort"``). Returns ``{"file": record,
        "created": bool}`` — ``created`` is False when the same content was already the latest
        version (exactly once by content). StrataError 400 for an invalid file (nothing is
        stored), 413 over the service's size limit (bytes), 403 for a read-only token."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data: expected bytes, got {}".format(type(data).__name__))
        if not isinstance(path, str) or not path:
            raise ValueError("path: expected a manifest-relative path, got {!r}".format(path))
        quoted = "/".join(urllib.parse.quote(part, safe="") for part in path.split("/"))
        url_path = "/api/campaigns/" + self._id(campaign_id) + "/files/" + quoted
        _, _, raw = self._request("PUT", url_path, body=bytes(data), content_type="application/octet-stream")
        return json.loads(raw.decode("utf-8"))

    # ---- following ------------------------------------------------------------------------

    def events(
        self,
        campaign: Optional[str] = None,
        after: int = 0,
        timeout: Optional[float] = None,
        reconnect: bool = True,
        read_timeout: float = EVENT_READ_TIMEOUT_S,
    ) -> Iterator[Event]:
        """Follow ``GET /api/events`` (server-sent events) as a generator of :class:`Event`.

        ``campaign``: only this campaign's events (default: all); ``after``: start after this
        sequence number (0: from the beginning of the log); ``timeout``: seconds after which the
        generator stops by itself (``None``: follow until the caller stops iterating);
        ``reconnect``: on a dropped connection (end of stream, a network error, no byte for
        ``read_timeout`` seconds although the service sends a heartbeat every 15 s, or a 5xx
        while the service restarts) wait ``retry`` (the service's, else 1 s, doubling to 10 s
        while it stays down) and reconnect with ``Last-Event-ID`` set to the last sequence
        number received, so nothing is lost and nothing is repeated. A 4xx (bad token, unknown
        campaign) raises StrataError at once.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        last_seq = int(after)
        delay = EVENT_RECONNECT_DELAY_S
        parser = _SSEParser()
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            received_any = False
            try:
                for event in self._event_stream(campaign, last_seq, parser, deadline, read_timeout):
                    received_any = True
                    if event.seq is not None:
                        if event.seq <= last_seq:
                            continue
                        last_seq = event.seq
                    yield event
                # the stream ended or the deadline passed
            except _Deadline:
                return
            except StrataError as error:
                if error.status is not None and error.status < 500:
                    raise
                if not reconnect:
                    raise
            except (OSError, http.client.HTTPException):
                if not reconnect:
                    raise StrataError(None, "event stream dropped", self._url("/api/events")) from None
            parser.reset_pending()
            if deadline is not None and time.monotonic() >= deadline:
                return
            if not reconnect:
                return
            if received_any:
                delay = EVENT_RECONNECT_DELAY_S
            pause = parser.retry_ms / 1000.0 if parser.retry_ms is not None else delay
            if deadline is not None:
                pause = min(pause, max(0.0, deadline - time.monotonic()))
            time.sleep(pause)
            delay = min(delay * 2, EVENT_RECONNECT_MAX_DELAY_S)

    def _event_stream(
        self, campaign: Optional[str], last_seq: int, parser: _SSEParser, deadline: Optional[float], read_timeout: float
    ) -> Iterator[Event]:
        """One connection of the event stream. http.client rather than urllib so each read's
        timeout can be shortened to the caller's deadline (a read that times out cannot be
        resumed, so it has to end exactly at the deadline)."""
        url = self._url("/api/events", {"campaign": campaign, "after": last_seq})
        parts = urllib.parse.urlsplit(url)
        connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection

        def read_budget() -> float:
            if deadline is None:
                return read_timeout
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Deadline()
            return min(read_timeout, remaining)

        connection = connection_class(parts.netloc, timeout=min(self.timeout, read_budget()))
        try:
            connection.connect()
            sock = connection.sock
            target = parts.path + ("?" + parts.query if parts.query else "")
            headers = self._headers({"Accept": "text/event-stream", "Cache-Control": "no-cache"})
            if last_seq > 0:
                headers["Last-Event-ID"] = str(last_seq)
            connection.request("GET", target, headers=headers)
            try:
                response = connection.getresponse()
            except socket.timeout:
                if deadline is not None and time.monotonic() >= deadline:
                    raise _Deadline() from None
                raise
            if response.status != 200:
                raise StrataError(response.status, _error_message(response.read(), response.reason), url)
            while True:
                sock.settimeout(read_budget())
                try:
                    raw = response.readline()
                except socket.timeout:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise _Deadline() from None
                    raise
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                event = parser.feed_line(line)
                if event is not None:
                    yield event
        finally:
            connection.close()

    def wait_for_scans(self, campaign_id: str, n: int, timeout: float = 60.0) -> Dict[str, Any]:
        """Wait until the campaign's latest diagnosis has seen at least ``n`` scans and return
        that document (strata-live/1). Wakes on the service's ``diagnosis.updated`` events and
        re-reads the diagnosis at least every 5 s; a service that is restarting (no answer, or
        5xx) is waited for too. ``timeout``: seconds; raises TimeoutError naming how many scans
        the latest diagnosis had (and the last error, if the service was not answering), or
        StrataError at once for a 4xx other than "no diagnosis yet" (a bad token, an unknown
        campaign)."""
        deadline = time.monotonic() + timeout
        seen = 0
        after = 0
        while True:
            problem = None
            try:
                document = self._latest_or_none(campaign_id)
            except StrataError as error:
                if error.status is not None and error.status < 500:
                    raise
                document, problem = None, error
            if document is not None:
                seen = int(document.get("scans", 0))
                if seen >= n:
                    return document
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    "campaign {}: the latest diagnosis has {} of {} scans after {:g} s{}".format(
                        campaign_id, seen, n, timeout, " (last error: {})".format(problem) if problem else ""
                    )
                )
            for event in self.events(campaign=campaign_id, after=after, timeout=min(WAIT_POLL_S, remaining)):
                if event.seq is not None:
                    after = event.seq
                if event.type == "diagnosis.updated":
                    scans = event.data.get("scans") if isinstance(event.data, dict) else None
                    if not isinstance(scans, int) or scans >= n:
                        break

    def _latest_or_none(self, campaign_id: str) -> Optional[Dict[str, Any]]:
        try:
            return self.diagnosis(campaign_id)
        except StrataError as error:
            if error.status == 404:
                return None
            raise


class _Deadline(Exception):
    """Internal: the caller's events() timeout has passed."""


def main(argv: Optional[List[str]] = None) -> int:
    """``python3 strata_client.py events|diagnosis|timeline …``: the service's address and token
    come from STRATA_URL and STRATA_TOKEN (a token on the command line would show in ``ps``)."""
    parser = argparse.ArgumentParser(
        prog="strata_client.py",
        description="Follow a strata serve service: STRATA_URL (e.g. http://127.0.0.1:8080) and STRATA_TOKEN from the environment.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    follow = commands.add_parser("events", help="print the event stream as JSON lines {seq, type, data}; reconnects by itself")
    follow.add_argument("--campaign", help="only this campaign's events")
    follow.add_argument("--after", type=int, default=0, help="start after this sequence number (default 0: the whole log)")
    follow.add_argument("--timeout", type=float, default=None, help="stop after this many seconds (default: follow until interrupted)")
    show = commands.add_parser("diagnosis", help="print the latest diagnosis document (JSON)")
    show.add_argument("campaign")
    table = commands.add_parser("timeline", help="print the thickness timeline as CSV")
    table.add_argument("campaign")
    args = parser.parse_args(argv)
    url = os.environ.get("STRATA_URL")
    if not url:
        print("strata_client.py: set STRATA_URL to the address strata serve printed", file=sys.stderr)
        return 2
    try:
        client = Client(url, os.environ.get("STRATA_TOKEN"))
        if args.command == "events":
            for event in client.events(campaign=args.campaign, after=args.after, timeout=args.timeout):
                print(json.dumps({"seq": event.seq, "type": event.type, "data": event.data}), flush=True)
        elif args.command == "diagnosis":
            print(json.dumps(client.diagnosis(args.campaign), indent=1))
        else:
            sys.stdout.write(client.timeline_csv(args.campaign))
    except (StrataError, ValueError) as error:
        print("strata_client.py: {}".format(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
