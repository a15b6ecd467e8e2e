"""A real worker on a real socket, driven by the real CLI (issue 4, round trip)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ipc.client import WorkerClient
from desktop.ipc.protocol import PROTOCOL_VERSION
from tests.integration.conftest import StartWorker, WorkerProcess, home_paths, run_cli, worker_env


def gpu_sample(worker: WorkerProcess) -> dict[str, Any] | None:
    run = worker.cli("status", "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["gpus"][0]["sample"]


def test_status_json_shows_the_gpu_and_a_live_temperature(
    worker: WorkerProcess, poll: Callable[..., Any]
) -> None:
    run = worker.cli("status", "--json")
    assert run.returncode == 0, run.stderr
    status = json.loads(run.stdout)
    assert status["protocol"] == PROTOCOL_VERSION and status["pid"] == worker.pid
    assert status["mode"] == "simulated"
    assert status["gpus"][0]["info"]["name"].startswith("Simulated")
    first = poll(lambda: gpu_sample(worker))
    assert isinstance(first["core_temp_c"], int | float) and 10 < first["core_temp_c"] < 100
    later = poll(lambda: (s := gpu_sample(worker)) and s["ts"] > first["ts"] and s, timeout=10)
    assert later["core_temp_c"] is not None  # a new reading: the sampler is live
    text = worker.cli("status")
    assert text.returncode == 0
    assert "Simulated" in text.stdout and "°C" in text.stdout


def test_pause_then_status_shows_paused(worker: WorkerProcess) -> None:
    paused = worker.cli("pause", "--for", "1h", "--reason", "gaming")
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout.startswith("Paused all work until")
    status = json.loads(worker.cli("status", "--json").stdout)
    (hold,) = status["user_holds"]
    assert (hold["scope"], hold["kind"], hold["reason"]) == ("all", "user", "gaming")  # words
    assert hold["until"] is not None
    assert status["gpus"][0]["state"] == "paused" and status["gpus"][0]["holds"] == [hold]
    text = worker.cli("status").stdout
    assert "Paused: all work until" in text and "Paused by you until" in text
    events = worker.cli("events", "--json")
    kinds = [json.loads(line)["kind"] for line in events.stdout.splitlines()]
    assert "user.pause" in kinds
    resumed = worker.cli("resume", "--json")
    assert resumed.returncode == 0 and json.loads(resumed.stdout)["user_holds"] == []


def test_a_refused_pause_exits_1_with_the_reason(worker: WorkerProcess) -> None:
    run = worker.cli("pause", "--gpu", "7")
    assert run.returncode == 1
    assert "there is no GPU 7" in run.stderr
    run = worker.cli("pause", "--gpu", "7", "--json")
    assert json.loads(run.stdout)["error"]["code"] == "not_found"


def test_a_cli_killed_mid_request_leaves_the_worker_unaffected(worker: WorkerProcess) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "desktop", "events", "--follow", "--json"],
        env=worker_env(worker.home),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert follower.stdout is not None
    assert json.loads(follower.stdout.readline())["kind"] == "worker.started"
    follower.send_signal(signal.SIGKILL)  # killed inside its long poll
    follower.wait()
    follower.stdout.close()
    token = worker.paths.token_file.read_text().strip()
    half = socket.socket(socket.AF_UNIX)  # a client that dies half-way through a body
    half.connect(str(worker.paths.socket_file))
    half.sendall(
        b"POST /v1/pause HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
        + token.encode()
        + b'\r\nContent-Length: 1000\r\n\r\n{"scope"'
    )
    half.close()
    status = worker.client.status()
    assert worker.alive() and status.pid == worker.pid
    assert status.user_holds == []  # the half request did nothing
    assert worker.cli("status").returncode == 0


def test_worker_stop_is_graceful(worker: WorkerProcess) -> None:
    run = worker.cli("worker", "stop")
    assert run.returncode == 0, run.stderr
    assert f"stopped (pid {worker.pid})" in run.stdout
    assert worker.process.wait(10) == 0
    assert not worker.paths.socket_file.exists()
    log = (worker.paths.log_dir / "worker.log").read_text()
    assert "RigPilot worker stopped" in log
    again = worker.cli("worker", "stop")
    assert again.returncode == 0 and "not running" in again.stdout


def test_sigterm_is_graceful(worker: WorkerProcess) -> None:
    assert worker.stop() == 0
    assert not worker.paths.socket_file.exists()


def test_detach_starts_a_background_worker(tmp_path: Path) -> None:
    home = tmp_path / "detached"
    started = run_cli(home, "worker", "--detach", "--simulate", "warm", "--json")
    paths = home_paths(home)
    try:
        assert started.returncode == 0, started.stderr + started.stdout
        pid = json.loads(started.stdout)["pid"]
        with WorkerClient(paths) as client:
            assert client.status().pid == pid
        second = run_cli(home, "worker", "--detach", "--simulate", "warm")
        assert second.returncode == 1 and f"already running (pid {pid})" in second.stderr
    finally:
        stopped = run_cli(home, "worker", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not paths.socket_file.exists()


def test_logs_come_through_the_api_and_from_the_file_when_down(worker: WorkerProcess) -> None:
    run = worker.cli("logs", "--tail", "20")
    assert run.returncode == 0
    assert "RigPilot worker ready" in run.stdout
    worker.stop()
    run = worker.cli("logs", "--tail", "5", "--json")
    assert run.returncode == 0
    answer = json.loads(run.stdout)
    assert answer["source"].endswith("worker.log")
    assert any("RigPilot worker stopped" in line for line in answer["lines"])


def test_start_worker_factory_takes_options(start_worker: StartWorker) -> None:
    worker = start_worker("--simulate", "warm,hot", "--sim-speed", "5")
    names = [g.info.name for g in worker.client.status().gpus]
    assert [n.rsplit("(", 1)[1] for n in names] == ["warm)", "hot)"]


def test_ensure_worker_running_starts_one_once(
    tmp_path: Path, poll: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import psutil

    from desktop.ipc.launch import ensure_worker_running

    monkeypatch.setenv("RIGPILOT_HOME", str(tmp_path / "auto"))  # as the GUI sees it
    client = ensure_worker_running(["--simulate", "warm"])
    try:
        pid = client.status().pid
        again = ensure_worker_running(["--simulate", "warm"])
        assert again.status().pid == pid  # an answering worker is reused, not doubled
        again.close()
        assert client.call(endpoints.SHUTDOWN).stopping is True
    except BaseException:
        psutil.Process(pid).kill()
        raise
    finally:
        client.close()

    def gone() -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    poll(gone, timeout=15)
