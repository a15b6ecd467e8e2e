"""The unix socket endpoint: modes, limits, and serving inside the caller's loop."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import sys
from pathlib import Path

import pytest

from desktop.ipc.auth import load_or_create_token
from desktop.ipc.client import WorkerClient, WorkerNotRunning
from desktop.ipc.schema import StatusAnswer
from desktop.ipc.server import build_app
from desktop.ipc.transport import ApiServer, TransportError, bind_unix_socket
from desktop.paths import Paths
from tests.unit.ipc.test_server import FakeController

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="unix sockets")


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    root = tmp_path / "h"
    return Paths(root / "config", root / "data", root / "logs", root / "run").ensure()


def test_socket_is_user_only_in_a_user_only_folder(paths: Paths) -> None:
    os.chmod(paths.runtime_dir, 0o755)  # a drifted mode is put back
    sock = bind_unix_socket(paths.socket_file)
    try:
        assert stat.S_IMODE(paths.runtime_dir.stat().st_mode) == 0o700
        info = paths.socket_file.stat()
        assert stat.S_ISSOCK(info.st_mode)
        assert stat.S_IMODE(info.st_mode) == 0o600
    finally:
        sock.close()


def test_a_stale_socket_file_is_replaced(paths: Paths) -> None:
    old = socket.socket(socket.AF_UNIX)
    old.bind(str(paths.socket_file))
    old.close()  # the file stays, like after kill -9
    sock = bind_unix_socket(paths.socket_file)
    sock.close()


def test_too_long_a_path_says_so(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    with pytest.raises(TransportError, match="too long"):
        bind_unix_socket(deep / "worker.sock")


def test_server_answers_then_removes_its_socket(paths: Paths) -> None:
    token = load_or_create_token(paths.token_file)

    async def scenario() -> tuple[StatusAnswer, bool]:
        server = ApiServer(build_app(FakeController(), token), paths)
        await server.start()
        client = WorkerClient(paths)
        try:
            status = await asyncio.to_thread(client.status)
        finally:
            client.close()
            await server.stop()
        return status, paths.socket_file.exists()

    status, socket_left = asyncio.run(scenario())
    assert status.mode == "simulated"
    assert not socket_left
    with pytest.raises(WorkerNotRunning):
        WorkerClient(paths).status()
