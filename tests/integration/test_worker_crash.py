"""kill -9 and a second worker: the OS lock keeps one worker per home (issue 4, crash)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.integration.conftest import StartWorker, worker_env


def test_after_kill_9_status_says_not_running_and_a_new_worker_takes_over(
    start_worker: StartWorker,
) -> None:
    first = start_worker()
    first.kill()
    assert first.paths.socket_file.exists()  # the crash left its socket behind
    run = first.cli("status")
    assert run.returncode == 3
    assert "RigPilot's worker is not running" in run.stderr
    assert "rigpilot worker --detach" in run.stderr
    run = first.cli("status", "--json")
    assert run.returncode == 3 and json.loads(run.stdout)["error"]["code"] == "not_running"

    second = start_worker(home=first.home)
    status = second.client.status()
    assert status.pid == second.pid != first.pid
    assert second.paths.lock_file.read_text().strip() == str(second.pid)


def test_a_second_worker_exits_1_naming_the_first(start_worker: StartWorker) -> None:
    first = start_worker()
    second = subprocess.run(
        [sys.executable, "-m", "desktop", "worker", "--simulate", "warm"],
        env=worker_env(first.home),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 1
    assert f"already running (pid {first.pid})" in second.stderr
    assert first.client.status().pid == first.pid  # the first one did not notice
