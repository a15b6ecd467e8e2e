"""Alerts leave the rig: a push through ntfy, a JSON POST to the user's webhook.

Why a thread of its own: a push is a request to a server on the internet, which can take
seconds or fail; the worker's loop must never wait for it. Alerts queue here and go out in
order; a failure (no network, a 5xx) is tried once more after a short wait and then
recorded with the reason, which ``rigpilot alerts`` shows. The topic is a secret: it is in
the URL's body only (ntfy's JSON publishing), and never in a log line.

httpx is imported, and the HTTP client made, at the first alert: a worker with no
destination never sends one, and httpx with what it loads is a ninth of an idle worker's
memory (issue 18).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop import __version__
from desktop.fleet.alert_rules import Alert
from desktop.ipc.schema_fleet import AlertDelivery as Delivery  # one attempt, as the API shows it

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
RETRY_AFTER_S = 5.0
KEPT = 20


@dataclass(frozen=True)
class Destination:
    """Where an alert goes: ``kind`` ntfy or webhook; ``topic`` for ntfy only."""

    kind: str
    url: str
    topic: str | None = None

    @property
    def shown(self) -> str:
        """What may be shown and logged (never the topic)."""
        return f"ntfy at {self.url}" if self.kind == "ntfy" else f"webhook {self.url}"


def body(alert: Alert, destination: Destination, host: str) -> dict[str, object]:
    """The JSON each destination gets."""
    if destination.kind == "ntfy":
        return {
            "topic": destination.topic,
            "title": alert.title,
            "message": alert.message,
            "priority": alert.priority,
            "tags": list(alert.tags),
        }
    return {
        "source": "rigpilot",
        "version": __version__,
        "host": host,
        "kind": alert.kind,
        "subject": alert.subject,
        "title": alert.title,
        "message": alert.message,
        "priority": alert.priority,
        "ts": alert.ts,
        "gpu": alert.gpu,
        "network": alert.network,
        "text": f"{alert.title}\n{alert.message}",  # what Slack-style webhooks show
    }


def post(client: httpx.Client, alert: Alert, destination: Destination, host: str) -> str:
    """Send once; "" when the server took it, else why not (the destination is said apart)."""
    import httpx

    try:
        response = client.post(destination.url, json=body(alert, destination, host))
    except httpx.HTTPError as exc:
        return f"could not reach it ({type(exc).__name__}: {exc})"
    if response.is_success:
        return ""
    return f"it answered HTTP {response.status_code}"


class Deliverer:
    """The sending thread and the record of what it sent (module docstring)."""

    def __init__(
        self,
        destinations: Callable[[], list[Destination]],
        host: str,
        clock: Callable[[], float],
        client: httpx.Client | None = None,
    ) -> None:
        self.destinations, self.host, self.clock = destinations, host, clock
        self._client = client
        self.recent: deque[Delivery] = deque(maxlen=KEPT)
        self._queue: queue.Queue[Alert | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        """The HTTP client, made at the first send (module docstring)."""
        with self._lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(
                    timeout=TIMEOUT_S, headers={"User-Agent": f"rigpilot/{__version__}"}
                )
            return self._client

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 5.0) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._client is not None:
            self._client.close()

    def put(self, alert: Alert) -> None:
        self._queue.put(alert)

    def send_now(self, alert: Alert, retry: bool = False) -> list[Delivery]:
        """Send to every destination and return the outcomes (blocking)."""
        out = []
        for destination in self.destinations():
            problem = post(self.client, alert, destination, self.host)
            if problem and retry:
                time.sleep(RETRY_AFTER_S)
                problem = post(self.client, alert, destination, self.host)
            outcome = Delivery(
                ts=self.clock(), kind=alert.kind, title=alert.title,
                destination=destination.shown, ok=not problem, detail=problem or "sent",
            )  # fmt: skip
            if problem:
                log.warning("alerts: %s to %s: %s", alert.kind, destination.shown, problem)
            else:
                log.info("alerts: %s sent to %s", alert.kind, destination.shown)
            with self._lock:
                self.recent.append(outcome)
            out.append(outcome)
        return out

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self.recent)

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is None:
                return
            try:
                self.send_now(alert, retry=True)
            except Exception:  # noqa: BLE001 - one bad alert must not end the thread
                log.exception("alerts: sending %s failed", alert.kind)
