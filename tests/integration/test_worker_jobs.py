"""``rigpilot job`` against a real worker process and the real Docker engine (issue 5).

The documented example (docs/jobs.md, tests/data/jobs/hello.json) runs to the end with
``--wait``; a refused spec exits 2 with its code; list, show and stop work; the image is
allowed through the ``jobs.allowed_local_images`` setting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docker
import pytest

from desktop.ipc import endpoints
from desktop.ipc.schema_data import EventsQuery
from desktop.settings import SettingsStore
from tests.integration.conftest import StartWorker, WorkerProcess, home_paths

pytestmark = pytest.mark.docker
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "jobs" / "hello.json"


def jobs_worker(start_worker: StartWorker, home: Path, host: str, image: str) -> WorkerProcess:
    """A simulated-GPU worker on the test engine, with the test image allowed."""
    SettingsStore(home_paths(home).ensure().settings_file).patch(
        {"jobs.allowed_local_images": [image]}
    )
    worker = start_worker("--simulate", "warm", home=home, env={"DOCKER_HOST": host})
    events = worker.client.call(endpoints.EVENTS, EventsQuery(since=0)).events
    runner = [e for e in events if e.kind == "jobs.runner"]
    assert runner and runner[0].data["kind"] == "docker", worker.output()
    return worker


def write_spec(tmp_path: Path, name: str, **fields: Any) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(fields))
    return path


def our_containers(home: Path) -> list[Any]:
    install = (home_paths(home).data_dir / "install-id").read_text().strip()
    client = docker.from_env()
    try:
        labels = [f"io.rigpilot.install={install}"]
        return list(
            client.containers.list(ignore_removed=True, all=True, filters={"label": labels})
        )
    finally:
        client.close()


def test_the_documented_example_runs_with_wait(
    start_worker: StartWorker, tmp_path: Path, docker_host: str, test_image: str
) -> None:
    worker = jobs_worker(start_worker, tmp_path / "home", docker_host, test_image)
    spec = json.loads(EXAMPLE.read_text())
    spec["image"] = test_image
    path = write_spec(tmp_path, "hello", **spec)

    run = worker.cli("job", "run", str(path), "--wait", timeout=90)
    assert run.returncode == 0, run.stdout + run.stderr + worker.output()
    assert "succeeded (exited, exit code 0)" in run.stdout
    assert "hello from nobody in /work" in run.stdout and "RigPilot says hi" in run.stdout

    shown = worker.cli("job", "show", "hello-1", "--json")
    body = json.loads(shown.stdout)
    assert body["job"]["state"] == "succeeded" and "done" in body["logs_tail"]
    assert body["job"]["pay"] is None  # a job run by hand is never credited
    assert our_containers(worker.home) == []  # removed once it ended


def test_refused_spec_exits_2_with_its_code(
    start_worker: StartWorker, tmp_path: Path, docker_host: str, test_image: str
) -> None:
    worker = jobs_worker(start_worker, tmp_path / "home", docker_host, test_image)
    cases = {
        "privileged_refused": {"image": test_image, "privileged": True},
        "image_not_pinned": {"image": "busybox:latest"},
        "env_forbidden": {"image": test_image, "env": {"LD_PRELOAD": "/x.so"}},
    }
    for code, fields in cases.items():
        run = worker.cli("job", "run", str(write_spec(tmp_path, code, **fields)))
        assert run.returncode == 2, run.stdout + run.stderr
        assert f"refused ({code})" in run.stderr
    run = worker.cli(
        "job", "run", str(write_spec(tmp_path, "j", **cases["image_not_pinned"])), "--json"
    )
    assert run.returncode == 2 and json.loads(run.stdout)["error"]["code"] == "image_not_pinned"
    assert json.loads(worker.cli("job", "list", "--json").stdout)["jobs"] == []


def test_list_show_and_stop_a_running_job(
    start_worker: StartWorker, tmp_path: Path, docker_host: str, test_image: str, poll: Any
) -> None:
    worker = jobs_worker(start_worker, tmp_path / "home", docker_host, test_image)
    spec = {"job_id": "sleeper-1", "image": test_image, "command": ["sleep", "60"]}
    spec |= {"cpus": 0.2, "memory_mb": 32, "deadline_s": 120}
    run = worker.cli("job", "run", str(write_spec(tmp_path, "sleeper", **spec)), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["job"]["state"] == "running"
    assert [c.status for c in our_containers(worker.home)] == ["running"]

    listed = json.loads(worker.cli("job", "list", "--json").stdout)["jobs"]
    assert [(j["job_id"], j["state"]) for j in listed] == [("sleeper-1", "running")]
    status = worker.client.status()
    assert status.jobs_running == 1 and status.components.jobs is True

    stopped = worker.cli("job", "stop", "sleeper-1", "--json")
    record = json.loads(stopped.stdout)["job"]
    assert (record["state"], record["exit_reason"]) == ("stopped", "user")
    poll(lambda: our_containers(worker.home) == [], timeout=15)
    shown = json.loads(worker.cli("job", "show", "sleeper-1", "--json").stdout)["job"]
    assert shown["state"] == "stopped" and shown["ended_ts"] >= shown["started_ts"]
    missing = worker.cli("job", "show", "no-such-job")
    assert missing.returncode == 1 and "no job 'no-such-job'" in missing.stderr
