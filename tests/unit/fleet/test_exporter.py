"""The exporter in process: off by default, on and off with the setting, the token rule
beyond loopback, refusals that say how, and scrapes through its own HTTP server."""

from __future__ import annotations

import asyncio
import socket
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from desktop.fleet.exporter import Exporter
from desktop.fleet.secrets import FleetSecrets
from desktop.fleet.snapshot import RigReaders
from desktop.model import Event
from desktop.secrets import SecretStore
from desktop.settings import Settings
from tests import api_samples as sample
from tests.unit.networks.conftest import MemoryKeyring


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class Rig:
    """An exporter over a settings dict and a memory keyring, on a running loop."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {"metrics.listen": None}
        self.events: list[Event] = []
        self.secrets = FleetSecrets(SecretStore(backend=MemoryKeyring()))
        self.exporter = Exporter(
            lambda: self.settings["metrics.listen"],
            lambda: self.secrets.metrics_token,
            self.events.append,
            lambda: 1_700_000_000.0,
        )

        async def status() -> Any:
            return sample.status()

        self.exporter.readers = RigReaders(status)


@pytest.fixture
def rig() -> Any:
    r = Rig()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(r.exporter.start(), loop).result(5)
    yield r
    asyncio.run_coroutine_threadsafe(r.exporter.close(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def test_off_by_default_then_on_and_off_with_the_setting(rig: Rig) -> None:
    assert rig.exporter.listening is None and rig.events == []
    port = _port()
    rig.settings["metrics.listen"] = f"127.0.0.1:{port}"
    rig.exporter.apply()
    code, body = _get(port)
    assert code == 200 and "rigpilot_gpu_temperature_celsius" in body
    assert "process_cpu_seconds_total" in body
    assert rig.exporter.stats.served == 1 and rig.events[-1].kind == "metrics.listening"
    rig.settings["metrics.listen"] = None
    rig.exporter.apply()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_beyond_loopback_needs_the_token_and_the_setting_is_refused_without(rig: Rig) -> None:
    port = _port()
    [check] = rig.exporter.validators()
    [(field, message, _allowed)] = list(check(Settings({"metrics.listen": f"0.0.0.0:{port}"})))
    assert field == "metrics.listen" and "rigpilot metrics token" in message
    assert f"127.0.0.1:{port}" in message
    assert list(check(Settings({"metrics.listen": f"127.0.0.1:{port}"}))) == []
    # a hand-edited file asks for it anyway: not served, and said so
    rig.settings["metrics.listen"] = f"0.0.0.0:{port}"
    rig.exporter.apply()
    assert rig.exporter.listening is None and "rigpilot metrics token" in (
        rig.exporter.problem or ""
    )
    assert rig.events[-1].kind == "metrics.failed"
    # with a token: refused without it or with another, served with it
    token, new = rig.secrets.token()
    assert new and len(token) >= 40
    assert list(check(Settings({"metrics.listen": f"0.0.0.0:{_port()}"}))) == []
    rig.exporter.token_changed()
    assert rig.exporter.listening == f"0.0.0.0:{port}" and rig.exporter.problem is None
    code, body = _get(port)
    assert code == 401 and "rigpilot metrics token" in body
    assert _get(port, token + "x")[0] == 401
    assert _get(port, token)[0] == 200
    assert (rig.exporter.stats.refused, rig.exporter.stats.served) == (2, 1)
    # a rotation applies at once
    rotated, new = rig.secrets.token(rotate=True)
    assert new and rotated != token
    rig.exporter.token_changed()
    assert _get(port, token)[0] == 401 and _get(port, rotated)[0] == 200


def test_a_port_in_use_is_refused_before_it_is_saved(rig: Rig) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        [check] = rig.exporter.validators()
        [(field, message, _)] = list(check(Settings({"metrics.listen": f"127.0.0.1:{port}"})))
        assert field == "metrics.listen" and "choose a free port" in message


def test_other_paths_are_404_and_a_failing_snapshot_is_a_500(rig: Rig) -> None:
    port = _port()
    rig.settings["metrics.listen"] = f"127.0.0.1:{port}"
    rig.exporter.apply()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/secret", timeout=5)
        raise AssertionError("expected a 404")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404

    async def broken() -> Any:
        raise RuntimeError("the status failed")

    rig.exporter.readers = RigReaders(broken)
    code, body = _get(port)
    assert code == 500 and "the status failed" in body
    assert rig.exporter.stats.failed == 1
