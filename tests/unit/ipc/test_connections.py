"""The API server's connection bounds, over a real unix socket with small limits.

Idle and slow sockets are closed to make room instead of locking clients out, one program
cannot take every connection, heads and bodies have deadlines that trickled bytes do not
extend, and bad HTTP or a full house is answered in JSON. The hog of the fairness test is a
separate process, because clients are told apart by the socket's peer credentials.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from desktop.ipc import endpoints
from desktop.ipc.auth import load_or_create_token
from desktop.ipc.client import WorkerClient
from desktop.ipc.connections import ConnectionLimits
from desktop.ipc.schema import StatusAnswer
from desktop.ipc.schema_data import EventsAnswer, EventsQuery
from desktop.ipc.server import build_app
from desktop.ipc.transport import ApiServer
from desktop.paths import Paths
from tests.unit.ipc.test_server import FakeController

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="unix sockets")
T = TypeVar("T")


class BlockingEvents(FakeController):
    """``GET /events`` waits until released: a request that keeps its connection busy."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.waiting = 0

    async def events(self, query: EventsQuery) -> EventsAnswer:
        self.waiting += 1
        await self.release.wait()
        return EventsAnswer(events=[], last_seq=0)


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    root = tmp_path / "h"
    return Paths(root / "config", root / "data", root / "logs", root / "run").ensure()


def serve(
    paths: Paths,
    limits: ConnectionLimits,
    scenario: Callable[[ApiServer, BlockingEvents], Awaitable[T]],
) -> T:
    async def main() -> T:
        controller = BlockingEvents()
        server = ApiServer(build_app(controller, load_or_create_token(paths.token_file)), paths)
        server.book.limits = limits
        await server.start()
        try:
            return await scenario(server, controller)
        finally:
            controller.release.set()
            await server.stop()

    return asyncio.run(main())


_opened: list[socket.socket] = []  # closed after each test (the fixture below)


@pytest.fixture(autouse=True)
def _close_test_sockets() -> Any:
    yield
    while _opened:
        _opened.pop().close()


def connect(paths: Paths) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX)
    _opened.append(sock)
    sock.connect(str(paths.socket_file))
    sock.setblocking(False)
    return sock


async def closed_by_server(sock: socket.socket, timeout: float = 10.0) -> bool:
    """Wait until the server closes ``sock`` (recv gives b''); False if it stays open."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            while True:
                data = await loop.sock_recv(sock, 65536)
                if not data:
                    return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


async def answer(sock: socket.socket, request: bytes) -> tuple[int, dict[str, Any], bytes]:
    """Send ``request`` and read the whole answer (the server closes after it)."""
    loop = asyncio.get_running_loop()
    if request:
        await loop.sock_sendall(sock, request)
    raw = b""
    async with asyncio.timeout(10):
        while chunk := await loop.sock_recv(sock, 65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body), head.lower()


def status_of(client: WorkerClient) -> Awaitable[StatusAnswer]:
    return asyncio.to_thread(client.call, endpoints.STATUS)


def test_idle_and_slow_sockets_are_closed_to_make_room(paths: Paths) -> None:
    limits = ConnectionLimits(max_connections=6, per_client=100)

    async def scenario(server: ApiServer, _: BlockingEvents) -> None:
        idle = [connect(paths) for _ in range(3)]
        slow = [connect(paths) for _ in range(3)]
        for sock in slow:
            sock.send(b"GET /v1/status HTTP/1.1\r\nHo")  # a head that never ends
        await asyncio.sleep(0.1)
        client = WorkerClient(paths)
        try:
            assert (await status_of(client)).mode == "simulated"
        finally:
            client.close()
        assert await closed_by_server(idle[0])  # the oldest idle one made room
        assert server.book.evicted >= 1

    serve(paths, limits, scenario)


def test_a_trickled_head_does_not_extend_its_deadline(paths: Paths) -> None:
    limits = ConnectionLimits(header_timeout_s=0.5, keep_alive_s=60)

    async def scenario(server: ApiServer, _: BlockingEvents) -> None:
        sock = connect(paths)
        loop = asyncio.get_running_loop()

        async def trickle() -> None:
            for byte in b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\n":
                await loop.sock_sendall(sock, bytes([byte]))
                await asyncio.sleep(0.05)

        feeder = asyncio.create_task(trickle())
        try:
            assert await closed_by_server(sock)  # 0.5 s, while ~40 bytes were still to come
        finally:
            feeder.cancel()
        assert not server.book.open  # nothing left counted

    serve(paths, limits, scenario)


def test_a_body_that_never_ends_is_closed(paths: Paths) -> None:
    limits = ConnectionLimits(body_timeout_s=0.3)

    async def scenario(server: ApiServer, _: BlockingEvents) -> None:
        sock = connect(paths)
        token = paths.token_file.read_text().strip()
        head = (
            "PATCH /v1/settings HTTP/1.1\r\nHost: localhost\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n{{"
        )
        sock.send(head.encode())
        assert await closed_by_server(sock)

    serve(paths, limits, scenario)


def test_bad_http_is_a_json_400(paths: Paths) -> None:
    async def scenario(server: ApiServer, _: BlockingEvents) -> None:
        status, body, head = await answer(connect(paths), b"NOT HTTP AT ALL\r\n\r\n")
        assert (status, body["code"]) == (400, "invalid_http")
        assert b"content-type: application/json" in head and b"rigpilot-protocol: 3" in head
        no_host = b"GET /v1/status HTTP/1.1\r\n\r\n"
        status, body, _ = await answer(connect(paths), no_host)
        assert (status, body["code"]) == (400, "invalid_http")
        huge_head = b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nX: " + b"a" * 40000
        status, body, _ = await answer(connect(paths), huge_head)
        assert (status, body["code"]) == (400, "invalid_http")

    serve(paths, ConnectionLimits(), scenario)


HOG = textwrap.dedent(
    """
    import socket, sys, time
    path, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    request = (f"GET /v1/events?wait=20 HTTP/1.1\\r\\nHost: localhost\\r\\n"
               f"Authorization: Bearer {token}\\r\\n\\r\\n").encode()
    socks = []
    for _ in range(count):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        sock.sendall(request)
        socks.append(sock)
        time.sleep(0.05)
    extra = socket.socket(socket.AF_UNIX)
    extra.connect(path)
    extra.sendall(request)
    extra.settimeout(10)
    raw = b""
    while chunk := extra.recv(65536):
        raw += chunk
    print(raw.decode(), flush=True)
    sys.stdin.read()  # hold the busy connections until the test is done
    """
)


def test_one_program_cannot_take_every_connection(paths: Paths) -> None:
    limits = ConnectionLimits(max_connections=100, per_client=4)

    async def scenario(server: ApiServer, controller: BlockingEvents) -> None:
        token = paths.token_file.read_text().strip()
        hog = subprocess.Popen(
            [sys.executable, "-c", HOG, str(paths.socket_file), token, "4"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert hog.stdout is not None
            refused = await asyncio.to_thread(hog.stdout.readline)
            while not refused.strip():
                refused = await asyncio.to_thread(hog.stdout.readline)
            rest = await asyncio.to_thread(_read_json_answer, hog.stdout)
            assert refused.startswith("HTTP/1.1 503"), refused
            assert rest["code"] == "too_many_connections"
            assert controller.waiting == 4  # its four requests are busy, not evicted
            client = WorkerClient(paths)  # another program still gets in
            try:
                assert (await status_of(client)).mode == "simulated"
            finally:
                client.close()
        finally:
            hog.kill()
            hog.wait()
            for pipe in (hog.stdin, hog.stdout):
                if pipe is not None:
                    pipe.close()

    serve(paths, limits, scenario)


def _read_json_answer(stream: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = stream.readline()
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    raise AssertionError("no JSON body from the hog's refused connection")
