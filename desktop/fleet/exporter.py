"""The Prometheus exporter's life in the worker: on and off with ``metrics.listen``, live.

Off by default. When ``metrics.listen`` names an address the exporter binds it (its own
small server, exporter_http.py); a change of the setting moves it at once, ``null`` stops
it. Listening beyond loopback needs the bearer token (kept in the keyring, tokens.py): a
settings change that would listen beyond loopback without one is refused with the way
out, and a hand-edited file that asks for it anyway leaves the exporter off with a problem
in ``rigpilot status``.

A scrape runs on the server's thread: it asks the worker's loop for one snapshot
(snapshot.py, a few milliseconds) and formats it there, so the loop does no text work.
``prometheus_client`` and the HTTP server are imported only when the exporter first listens.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from desktop.fleet.snapshot import GuardCounter, RigReaders, gather
from desktop.model import Event, Severity
from desktop.settings import Validator
from desktop.settings.addresses import is_loopback, split_address

if TYPE_CHECKING:  # the server (http.server and friends) loads when the exporter listens
    from desktop.fleet.exporter_http import MetricsHttpServer, ScrapeStats

log = logging.getLogger(__name__)

KEY = "metrics.listen"
SNAPSHOT_TIMEOUT_S = 10.0


def needs_token_message(listen: str) -> str:
    host, port = split_address(listen)
    return (
        f"{KEY} {listen} reaches beyond this computer, so every scrape must carry a bearer "
        "token, and none is set: run `rigpilot metrics token` first (it makes one, keeps it "
        "in your keyring and prints it for Prometheus's `authorization: credentials_file`), "
        f"or listen on 127.0.0.1:{port} only"
    )


class Exporter:
    """Serves ``/metrics`` while ``metrics.listen`` says so (module docstring)."""

    def __init__(
        self,
        setting: Callable[[], Any],
        token: Callable[[], str | None],
        publish: Callable[[Event], None],
        clock: Callable[[], float],
    ) -> None:
        self.setting, self.token, self.publish, self.clock = setting, token, publish, clock
        self.guard = GuardCounter()
        self.readers: RigReaders | None = None
        self.problem: str | None = None
        self._server: MetricsHttpServer | None = None
        self._listen: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- life -------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.apply)

    async def close(self) -> None:
        await asyncio.to_thread(self._stop_server)

    def on_event(self, event: Event) -> None:
        """Fed every event on the loop: guard actions are counted, a settings change that
        touches ``metrics.listen`` moves the server (off the loop: closing waits)."""
        self.guard.on_event(event)
        touched = event.kind == "settings.changed" and KEY in (event.data or {}).get("keys", ())
        if touched and self._loop is not None:
            self._loop.create_task(asyncio.to_thread(self.apply))

    def apply(self) -> None:
        """Bring the server to what the setting and the token say (blocking)."""
        listen = self.setting()
        token = self.token()
        if listen == self._listen and self._server is not None:
            self._server.token = token if not self._loopback(listen) else None
            return
        self._stop_server()
        self.problem = None
        if listen is None:
            return
        loopback = self._loopback(listen)
        if not loopback and token is None:
            self._fail(listen, needs_token_message(listen))
            return
        host, port = split_address(listen)
        from desktop.fleet.exporter_http import MetricsHttpServer, Page

        try:
            server = MetricsHttpServer(host, port, Page(self.render, self.clock), None)
        except OSError as exc:
            self._fail(listen, f"the metrics could not listen on {listen}: {exc.strerror or exc}")
            return
        server.token = None if loopback else token
        server.start()
        self._server, self._listen = server, listen
        log.info("metrics: serving on http://%s/metrics", listen)
        self.publish(
            Event(self.clock(), "metrics.listening", Severity.INFO,
                  f"Prometheus metrics are served on http://{listen}/metrics"
                  + ("" if loopback else " (bearer token required)"),
                  data={"listen": listen})
        )  # fmt: skip

    def _stop_server(self) -> None:
        server, self._server, self._listen = self._server, None, None
        if server is not None:
            server.close()
            log.info("metrics: stopped serving")

    def _fail(self, listen: str, message: str) -> None:
        self.problem = message
        log.warning("metrics: %s", message)
        self.publish(
            Event(self.clock(), "metrics.failed", Severity.WARNING, message,
                  data={"listen": listen})
        )  # fmt: skip

    @staticmethod
    def _loopback(listen: str) -> bool:
        return is_loopback(split_address(listen)[0])

    # --- what the API and status see --------------------------------------------------

    @property
    def listening(self) -> str | None:
        return self._listen

    @property
    def port(self) -> int | None:
        return None if self._server is None else self._server.port

    @property
    def stats(self) -> ScrapeStats:
        from desktop.fleet.exporter_http import ScrapeStats

        return self._server.stats if self._server is not None else ScrapeStats()

    def token_changed(self) -> None:
        """A new or rotated token is in force at once (blocking: it may bind)."""
        self.apply()

    def validators(self) -> list[Validator]:
        """Rules a settings change must pass before it is saved (the settings API runs
        them with the worker's other validators)."""
        return [self._check_listen]

    def _check_listen(self, candidate: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
        listen = candidate.get(KEY)
        if listen is None or listen == self._listen:
            return
        host, port = split_address(listen)
        if not is_loopback(host) and self.token() is None:
            yield KEY, needs_token_message(listen), "127.0.0.1:PORT, or set a token first"
            return
        problem = _bind_problem(host, port)
        if problem:
            yield KEY, f"{KEY} {listen}: {problem}", "a free port on an address of this computer"

    # --- a scrape (on the server's thread) ---------------------------------------------

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, ProcessCollector, generate_latest

        from desktop.fleet.families import families

        if self.readers is None or self._loop is None:
            raise RuntimeError("the worker is still starting")
        future = asyncio.run_coroutine_threadsafe(gather(self.readers, self.guard), self._loop)
        snap = future.result(timeout=SNAPSHOT_TIMEOUT_S)
        found = [*families(snap), *ProcessCollector(registry=None).collect()]
        return generate_latest(_Families(found)), CONTENT_TYPE_LATEST


class _Families:
    """A one-scrape "registry": what ``generate_latest`` needs (``collect``)."""

    def __init__(self, found: list[Any]) -> None:
        self.found = found

    def collect(self) -> list[Any]:
        return self.found


def _bind_problem(host: str, port: int) -> str:
    """Why binding would fail now ("" when the address is free)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        return f"cannot listen there ({exc.strerror or exc}); choose a free port"
    return ""
