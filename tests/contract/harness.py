"""The contract suite's machinery: a real local HTTP server that answers like a network,
and the loader of the per-network case modules (tests/contract/cases/<network>.py).

Why one harness for every network: each adapter is checked by the same rules (healthy
answers map to the right state and money in the network's own unit; bad answers give
"unknown" or an action with the reason, never a crash, with the backoff in the log), so a
new network proves itself by writing down its documented answers, not by writing tests.
The case format is described in tests/contract/README.md.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from desktop.model import NodeState

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"
CASES = Path(__file__).resolve().parent / "cases"
SERVER_MARK = "{{SERVER}}"  # in a recorded answer: the local server's base URL


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, raw body, and a delay before it (for timeouts)."""

    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)


@dataclass(frozen=True)
class Request:
    """What the adapter sent, as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


RouteValue = Reply | Callable[[Request], Reply]


class NetworkServer:
    """A real HTTP server on 127.0.0.1 whose answers a test scripts per ``"METHOD /path"``.

    Paths match with shell wildcards (``GET /api/nodes/*/specs``); the query string is not
    part of the match (``requests`` has it). A path no route matches answers 404.
    """

    def __init__(self) -> None:
        self.routes: dict[str, RouteValue] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    self.command,
                    url.path,
                    parse_qs(url.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                reply = server.answer(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to tell it

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server names

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            key = f"{request.method} {request.path}"
            route = next(
                (value for pattern, value in self.routes.items() if fnmatch.fnmatch(key, pattern)),
                None,
            )
        if route is None:
            return Reply(404, b'{"error": "not found"}')
        return route(request) if callable(route) else route

    def sent(self, pattern: str) -> list[Request]:
        """The requests whose ``"METHOD /path"`` matches ``pattern``."""
        with self._lock:
            return [r for r in self.requests if fnmatch.fnmatch(f"{r.method} {r.path}", pattern)]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- case modules ----------------------------------------------------------------------------

Answer = str | tuple[int, str] | tuple[int, bytes]  # a file, (status, file) or (status, body)


@dataclass(frozen=True)
class Case:
    """One network's case module, read into plain values (README.md says what each is)."""

    network: str
    kind: str  # "api", "local" or "listed"
    module: ModuleType
    routes: dict[str, Answer] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)
    healthy: dict[str, tuple[dict[str, Answer], NodeState]] = field(default_factory=dict)
    earned: dict[str, Decimal] = field(default_factory=dict)
    claimable: dict[str, Decimal] = field(default_factory=dict)
    reputation: dict[str, Any] | None = None
    timeout_s: float = 5.0
    rate_limited: Answer = (429, b'{"detail": "too many requests"}')
    expired: Answer | None = None
    renew_hint: str = ""
    unseen: dict[str, Answer] = field(default_factory=dict)
    missing: dict[str, Answer] = field(default_factory=dict)
    pause: tuple[str, dict[str, Any]] | None = None
    resume: tuple[str, dict[str, Any]] | None = None

    def env(self, url: str, tmp: Path) -> dict[str, str]:
        make = getattr(self.module, "env", None)
        return dict(make(url, tmp)) if make is not None else {}

    def prepare(self, adapter: Any) -> None:
        hook = getattr(self.module, "prepare", None)
        if hook is not None:
            hook(adapter)

    def reply(self, answer: Answer) -> Reply:
        """An answer as the server sends it; files come from tests/data/<network>/."""
        if isinstance(answer, str):
            status, source = 200, answer
        else:
            status, source = answer
        if isinstance(source, bytes):
            return Reply(status, source)
        text = (DATA / self.network / source).read_text(encoding="utf-8")
        return Reply(status, text.encode("utf-8"))

    def serve(self, server: NetworkServer, overrides: Mapping[str, Answer] = {}) -> None:
        """Script ``server`` with the recorded answers, ``overrides`` replacing some.

        ``{{SERVER}}`` in an answer becomes the server's URL (an answer that names another
        endpoint of the network, such as an Akash provider's host URI, points back here).
        """
        server.routes.clear()
        for route, answer in {**self.routes, **overrides}.items():
            reply = self.reply(answer)
            body = reply.body.replace(SERVER_MARK.encode(), server.url.encode())
            server.routes[route] = Reply(reply.status, body, reply.delay_s, reply.headers)

    def break_all(self, server: NetworkServer, reply: Reply) -> None:
        """Every route answers ``reply`` (the network's API is down, slow or broken)."""
        for route in list(server.routes):
            server.routes[route] = reply


def _decimals(values: Mapping[str, Any] | None) -> dict[str, Decimal]:
    return {unit: Decimal(str(amount)) for unit, amount in (values or {}).items()}


def load_case(network: str) -> Case:
    """The case module ``cases/<network>.py``; FileNotFoundError names the missing file."""
    path = CASES / f"{network}.py"
    if not path.exists():
        raise FileNotFoundError(
            f"network {network!r} is registered but has no contract case: write {path} "
            "(tests/contract/README.md says what it holds)"
        )
    spec = importlib.util.spec_from_file_location(f"contract_case_{network}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    get = vars(module).get
    if get("NETWORK") != network:
        raise ValueError(f"{path} declares NETWORK = {get('NETWORK')!r}, not {network!r}")
    return Case(
        network=network,
        kind=get("KIND", "api"),
        module=module,
        routes=dict(get("ROUTES", {})),
        credentials=dict(get("CREDENTIALS", {})),
        healthy=dict(get("HEALTHY", {})),
        earned=_decimals(get("EARNED")),
        claimable=_decimals(get("CLAIMABLE")),
        reputation=get("REPUTATION"),
        timeout_s=float(get("TIMEOUT_S", 5.0)),
        rate_limited=get("RATE_LIMITED", (429, b'{"detail": "too many requests"}')),
        expired=get("EXPIRED"),
        renew_hint=get("RENEW_HINT", ""),
        unseen=dict(get("UNSEEN", {})),
        missing=dict(get("MISSING", {})),
        pause=get("PAUSE"),
        resume=get("RESUME"),
    )


def case_names() -> list[str]:
    """The case modules present (each must match a registered network)."""
    return sorted(p.stem for p in CASES.glob("*.py") if not p.stem.startswith("_"))


def contains(body: Any, expected: Mapping[str, Any]) -> bool:
    """True when the JSON object ``body`` has every key of ``expected`` with that value
    (an empty ``expected``: any body, or none)."""
    if not expected:
        return True
    return isinstance(body, dict) and all(body.get(k) == v for k, v in expected.items())
