"""The exporter's own small HTTP server: ``GET /metrics``, a bearer token beyond loopback.

Why its own server and not a route of the local API: the API listens on a user-only unix
socket with the app's token, and must stay unreachable from the network; Prometheus needs
TCP. A scrape is rare (every 15 s or so), so a thread per connection from the standard
library is enough, bounded by a semaphore and a socket timeout so that a slow or hostile
client cannot pile up threads. The token is compared in constant time.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)

MAX_CONCURRENT = 4
SOCKET_TIMEOUT_S = 10.0
TEXT = "text/plain; charset=utf-8"


@dataclass
class ScrapeStats:
    """What ``rigpilot metrics`` shows: scrapes served and refused, the last one's time."""

    served: int = 0
    refused: int = 0
    failed: int = 0
    last_ts: float | None = None


class Page:
    """What a scrape answers: ``render()`` gives (body, content type); it may raise."""

    def __init__(self, render: Callable[[], tuple[bytes, str]], clock: Callable[[], float]):
        self.render, self.clock = render, clock


class MetricsHttpServer:
    """One listening socket; ``token`` is required when it is not None."""

    def __init__(self, host: str, port: int, page: Page, token: str | None) -> None:
        self.page, self.token, self.stats = page, token, ScrapeStats()
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("_Server", (ThreadingHTTPServer,), {"address_family": family})
        self._server = server_class((host, port), self._handler_class(), bind_and_activate=True)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics-http", daemon=True, kwargs={}
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- requests -----------------------------------------------------------------------

    def _allowed(self, header: str | None) -> bool:
        if self.token is None:
            return True
        scheme, _, given = (header or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode(), self.token.encode())

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            timeout = SOCKET_TIMEOUT_S
            server_version = "rigpilot-metrics"
            sys_version = ""

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if not outer._slots.acquire(blocking=False):
                    self._send(503, b"busy: too many scrapes at once\n", TEXT)
                    return
                try:
                    outer._serve(self)
                finally:
                    outer._slots.release()

            def _send(
                self, code: int, body: bytes, kind: str, extra: dict[str, str] | None = None
            ) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug("metrics http: " + format, *args)

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        send = handler._send  # type: ignore[attr-defined]
        path = handler.path.split("?", 1)[0]
        if path not in ("/metrics", "/"):
            send(404, b"not found: Prometheus scrapes /metrics\n", TEXT)
            return
        if not self._allowed(handler.headers.get("Authorization")):
            self.stats.refused += 1
            body = (
                b"unauthorized: this exporter needs its bearer token "
                b"(`rigpilot metrics token` prints it; Prometheus: authorization: "
                b"credentials_file)\n"
            )
            send(401, body, TEXT, {"WWW-Authenticate": 'Bearer realm="rigpilot"'})
            return
        if path == "/":
            send(200, b"RigPilot metrics: /metrics\n", TEXT)
            return
        try:
            body, kind = self.page.render()
        except Exception as exc:  # noqa: BLE001 - the scrape fails, the worker goes on
            self.stats.failed += 1
            log.warning("metrics: a scrape failed: %s", exc, exc_info=True)
            send(500, f"the worker could not build its metrics: {exc}\n".encode(), TEXT)
            return
        self.stats.served += 1
        self.stats.last_ts = self.page.clock()
        send(200, body, kind)
