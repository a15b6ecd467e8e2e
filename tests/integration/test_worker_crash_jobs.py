"""Jobs never outlive the worker, and a crash costs a job exactly once (issue 5, crash).

A real worker process runs a sleeping job in the real Docker engine and is killed with
SIGKILL. Restarted (with the reaper killed too, so that only the new worker's reconcile
can clean up), the job becomes INTERRUPTED exactly once and the orphan container is gone;
not restarted, the reaper stops the container within 60 s.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import docker
import pytest

from desktop.ipc import endpoints
from desktop.ipc.schema_data import EventsQuery
from desktop.settings import SettingsStore
from tests import api_samples as sample
from tests.integration.conftest import StartWorker, WorkerProcess, home_paths

pytestmark = pytest.mark.docker


@pytest.fixture
def engine(docker_host: str) -> Iterator[Any]:
    client = docker.from_env()
    yield client
    client.close()


def start_with_job(
    start_worker: StartWorker, home: Path, host: str, image: str, tmp_path: Path
) -> tuple[WorkerProcess, str]:
    """A worker on the test engine running ``sleep 120`` as job crash-1."""
    SettingsStore(home_paths(home).ensure().settings_file).patch(
        {"jobs.allowed_local_images": [image]}
    )
    worker = start_worker("--simulate", "warm", home=home, env={"DOCKER_HOST": host})
    spec = tmp_path / "sleeper.json"
    spec.write_text(
        json.dumps(
            {
                "job_id": "crash-1",
                "image": image,
                "command": ["sleep", "120"],
                "cpus": 0.2,
                "memory_mb": 32,
                "deadline_s": 300,
            }
        )
    )
    run = worker.cli("job", "run", str(spec), "--json")
    assert run.returncode == 0, run.stderr + worker.output()
    install = (home_paths(home).data_dir / "install-id").read_text().strip()
    return worker, install


def job_containers(engine: Any, install: str) -> list[Any]:
    labels = [f"io.rigpilot.install={install}", "io.rigpilot.job=crash-1"]
    return list(engine.containers.list(ignore_removed=True, all=True, filters={"label": labels}))


def interruptions(home: Path) -> int:
    with closing(sqlite3.connect(home_paths(home).ledger_file)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM job_transitions WHERE job_id = 'crash-1' AND state = ?",
            ("interrupted",),
        ).fetchone()
    return int(row[0])


def kill_reapers(home: Path) -> None:
    """SIGKILL the reaper our worker started (its pid file sits beside the lease)."""
    for pid_file in home_paths(home).runtime_dir.glob("*.reaper.pid"):
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        except (ValueError, ProcessLookupError):
            pass


def reaper_said(home: Path) -> str:
    """What the worker's reaper logged (why it stopped the containers): ``*.reaper.log``
    beside its lease."""
    logs = sorted(home_paths(home).runtime_dir.glob("*.reaper.log"))
    return "".join(log.read_text(errors="replace") for log in logs)


def remove_leftovers(engine: Any, install: str) -> None:
    for container in engine.containers.list(
        ignore_removed=True, all=True, filters={"label": f"io.rigpilot.install={install}"}
    ):
        container.remove(force=True)


def test_killed_and_restarted_worker_interrupts_the_job_once_and_removes_its_container(
    start_worker: StartWorker,
    tmp_path: Path,
    docker_host: str,
    test_image: str,
    engine: Any,
) -> None:
    home = tmp_path / "home"
    worker, install = start_with_job(start_worker, home, docker_host, test_image, tmp_path)
    try:
        assert [c.status for c in job_containers(engine, install)] == ["running"]
        worker.kill()
        kill_reapers(home)
        time.sleep(3)  # longer than a reaper check: nothing else may remove it now
        assert [c.status for c in job_containers(engine, install)] == ["running"]

        second = start_worker("--simulate", "warm", home=home, env={"DOCKER_HOST": docker_host})
        assert job_containers(engine, install) == []  # reconcile ran before the API answered
        shown = json.loads(second.cli("job", "show", "crash-1", "--json").stdout)["job"]
        assert (shown["state"], shown["exit_reason"]) == ("interrupted", "interrupted")
        events = [
            sample.to_json(e)
            for e in second.client.call(endpoints.EVENTS, EventsQuery(since=0)).events
        ]
        assert [e["data"]["job_id"] for e in events if e["kind"] == "job.interrupted"] == [
            "crash-1"
        ]
        assert any(e["kind"] == "job.orphans_removed" for e in events)
        assert interruptions(home) == 1

        assert second.stop() == 0
        third = start_worker("--simulate", "warm", home=home, env={"DOCKER_HOST": docker_host})
        assert interruptions(home) == 1  # once, whatever the number of restarts
        this_run = [  # the bus holds this run's events only
            sample.to_json(e)
            for e in third.client.call(endpoints.EVENTS, EventsQuery(since=0)).events
        ]
        assert any(e["kind"] == "worker.started" for e in this_run)
        assert not any(e["kind"] == "job.interrupted" for e in this_run)
    finally:
        remove_leftovers(engine, install)


def test_killed_worker_not_restarted_its_container_stops_within_60_s(
    start_worker: StartWorker,
    tmp_path: Path,
    docker_host: str,
    test_image: str,
    engine: Any,
) -> None:
    home = tmp_path / "home"
    worker, install = start_with_job(start_worker, home, docker_host, test_image, tmp_path)
    try:
        assert [c.status for c in job_containers(engine, install)] == ["running"]
        worker.kill()
        deadline = time.monotonic() + 60  # a time-out: the lease's timing is LeaseWatch's to test
        while job_containers(engine, install):
            if time.monotonic() > deadline:
                pytest.fail("the job container outlived the killed worker by 60 s")
            time.sleep(0.5)
        # Why it went: the reaper saw the worker gone (not a restart's reconcile, not Docker).
        assert "lease worker gone" in reaper_said(home), reaper_said(home)
    finally:
        remove_leftovers(engine, install)
