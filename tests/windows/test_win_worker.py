"""On Windows: the worker detached, the CLI over the loopback API, the msvcrt lock, stop, kill.

Everything is the real thing Windows offers: ``DETACHED_PROCESS`` start, 127.0.0.1 with
the port in a file and the bearer token in a user-only file, ``msvcrt.locking`` on the lock
file, ``TerminateProcess`` for the crash, SQLite in WAL mode on the Windows file API.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from desktop.paths import Paths, get_paths
from tests.windows.conftest import (
    home_env,
    kill_pid,
    pid_alive,
    rigpilot,
    rigpilot_json,
    wait_for,
)


def paths_of(home: Path) -> Paths:
    return Paths(home / "config", home / "data", home / "logs", home / "run")


def test_detached_worker_answers_the_cli_over_loopback(detached: dict[str, Any]) -> None:
    home, pid = detached["home"], detached["pid"]
    status = rigpilot_json(home, "status")
    assert status["pid"] == pid and status["mode"] == "simulated"
    assert status["gpus"][0]["info"]["name"].startswith("Simulated")
    paths = paths_of(home)
    port = int(paths.port_file.read_text().strip())
    assert 1024 < port < 65536 and not paths.socket_file.exists()  # no unix socket on Windows
    # The API is the worker's: without the token, 401; a foreign Host, 403.
    url = f"http://127.0.0.1:{port}/v1/status"
    assert httpx.get(url, timeout=5).status_code == 401
    token = paths.token_file.read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(url, headers=headers, timeout=5).json()["pid"] == pid
    evil = {**headers, "Host": "rebind.example"}
    assert httpx.get(url, headers=evil, timeout=5).status_code == 403
    paused = rigpilot(home, "pause", "--for", "1h", "--reason", "gaming")
    assert paused.returncode == 0, paused.stderr
    status = rigpilot_json(home, "status")
    (hold,) = status["user_holds"]
    assert (hold["scope"], hold["kind"], hold["reason"]) == ("all", "user", "gaming")
    assert status["gpus"][0]["state"] == "paused" and status["gpus"][0]["holds"] == [hold]


def test_a_second_worker_is_refused_by_the_lock(detached: dict[str, Any]) -> None:
    home, pid = detached["home"], detached["pid"]
    second = subprocess.run(
        [sys.executable, "-m", "desktop", "worker", "--simulate", "warm"],
        env=home_env(home), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 1, second.stdout + second.stderr
    assert f"already running (pid {pid})" in second.stderr
    assert paths_of(home).lock_file.read_text().strip() == str(pid)  # the pid stays readable
    again = rigpilot(home, "worker", "--detach", "--simulate", "warm")
    assert again.returncode == 1 and "already running" in again.stderr
    assert rigpilot_json(home, "status")["pid"] == pid


def test_worker_stop_stops_it_and_removes_the_port_file(detached: dict[str, Any]) -> None:
    home, pid = detached["home"], detached["pid"]
    stopped = rigpilot_json(home, "worker", "stop")
    assert stopped["running"] is False and stopped["pid"] == pid
    assert not pid_alive(pid)
    assert not paths_of(home).port_file.exists()
    gone = rigpilot(home, "status", "--json")
    assert gone.returncode == 3, gone.stdout + gone.stderr
    assert rigpilot_json(home, "worker", "stop")["running"] is False  # stopping twice is fine


def _events(ledger: Path, prefix: str) -> list[str]:
    with closing(sqlite3.connect(f"file:{ledger.as_posix()}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT kind FROM events WHERE kind LIKE ?", (prefix + "%",))
        return [kind for (kind,) in rows]


def test_settings_and_the_ledger_survive_a_kill(detached: dict[str, Any]) -> None:
    home, pid = detached["home"], detached["pid"]
    changed = rigpilot(home, "settings", "set", "gaming.quiet_period_s", "240")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert rigpilot(home, "pause", "--for", "1h").returncode == 0
    ledger = paths_of(home).ledger_file
    wait_for(lambda: "user.pause" in _events(ledger, "user."), 15, "the pause in the ledger")
    kill_pid(pid)  # TerminateProcess: no shutdown code runs
    assert paths_of(home).port_file.exists()  # the crash left its port file behind
    dead = rigpilot(home, "status")
    assert dead.returncode == 3 and "not running" in dead.stderr
    restarted = rigpilot_json(home, "worker", "--detach", "--simulate", "warm")
    assert restarted["pid"] != pid  # the lock died with the killed worker
    shown = rigpilot_json(home, "settings")
    assert shown["gaming.quiet_period_s"] == 240
    assert "user.pause" in _events(ledger, "user.")
    with closing(sqlite3.connect(f"file:{ledger.as_posix()}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_user_files_live_under_localappdata(monkeypatch: Any) -> None:
    monkeypatch.delenv("RIGPILOT_HOME", raising=False)
    paths = get_paths()
    local = Path(os.environ["LOCALAPPDATA"]) / "RigPilot"
    assert paths.config_dir == paths.data_dir == local
    assert paths.log_dir == local / "Logs" and paths.runtime_dir == local / "run"
    assert paths.settings_file.parent == local and paths.token_file.parent == local
    assert paths.ledger_file == local / "ledger.sqlite"
