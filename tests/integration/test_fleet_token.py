"""The exporter beyond loopback: refused without a token, then served only to scrapes that
carry it (issue 16, done-when), in real worker processes with the real keyring."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.conftest import StartWorker, WorkerProcess


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _metrics(worker: WorkerProcess) -> dict[str, object]:
    done = worker.cli("metrics", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout))


def test_beyond_loopback_is_refused_without_a_token(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    """No keyring, so no token: the setting is refused with the way out, nothing listens."""
    worker = start_worker("--simulate", "warm", home=tmp_path / "bare",
                          env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"})  # fmt: skip
    port = _free_port()
    done = worker.cli("settings", "set", "metrics.listen", f"0.0.0.0:{port}")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "rigpilot metrics token" in done.stderr and f"127.0.0.1:{port}" in done.stderr
    assert _metrics(worker)["listen"] is None
    ok = worker.cli("settings", "set", "metrics.listen", f"127.0.0.1:{port}")  # loopback: fine
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert _scrape(port, None)[0] == 200


def test_with_the_token_a_scrape_is_served_and_without_it_refused(
    start_worker: StartWorker, secret_service: str, tmp_path: Path, poll: Callable[..., Any]
) -> None:
    worker = start_worker("--simulate", "warm", home=tmp_path / "keyed")
    token = worker.cli("metrics", "token")
    assert token.returncode == 0, token.stdout + token.stderr
    secret = token.stdout.strip()
    assert len(secret) >= 40
    port = _free_port()
    done = worker.cli("settings", "set", "metrics.listen", f"0.0.0.0:{port}")
    assert done.returncode == 0, done.stdout + done.stderr
    code, body = _scrape(port, None)
    assert code == 401 and "rigpilot metrics token" in body
    assert _scrape(port, "not-" + secret)[0] == 401
    code, body = _scrape(port, secret)
    assert code == 200 and 'rigpilot_worker_info{host="' in body
    state = _metrics(worker)
    assert state["serving"] == f"0.0.0.0:{port}" and state["token_required"] is True
    assert state["refused"] == 2 and state["scrapes"] == 1
    assert secret not in (worker.paths.config_dir / "settings.json").read_text()  # keyring only
    # turning it off is live too
    off = worker.cli("settings", "set", "metrics.listen", "null")
    assert off.returncode == 0, off.stdout + off.stderr
    poll(lambda: _closed(port), timeout=10)


def _closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0
