"""Alerts without Prometheus, from a real worker to a local webhook (issue 16, done-when).

A local HTTP server stands in for the user's webhook. A worker on the simulated
``broken-fan`` card runs a job at full load until the guard's emergency stop; the alert
must arrive within one sample period of the stop's event, and a second emergency stop of
the same GPU inside the rate limit must not be sent. Then the worker is killed and
started again: the webhook hears that it is back after a crash.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.ipc import endpoints
from desktop.ipc.schema_data import EventsQuery
from desktop.model import Event
from tests.integration.conftest import StartWorker, WorkerProcess
from tests.integration.fleet_helpers import Receiver, receiver_fixture  # noqa: F401 (a fixture)

SPEED = "30"
IMAGE = os.environ.get("RIGPILOT_TEST_IMAGE", "rigpilot-test/busybox:latest")


def _home(tmp_path: Path, webhook: str) -> Path:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    # the shortest cooldown after an emergency (30 wall seconds, not 120): the test waits
    # one out before its second emergency, and what it proves is the alert's rate limit
    settings = {"sampling.interval_s": 1, "alerts.webhook_url": webhook,
                "alerts.repeat_after_min": 60, "thermal.cooldown_s": 30}  # fmt: skip
    (home / "config" / "settings.json").write_text(json.dumps({"version": 1, "settings": settings}))
    return home


def _full_load(worker: WorkerProcess, tmp_path: Path, job_id: str) -> bool:
    """Start a job at full load on GPU 0; False while a hold keeps new jobs back."""
    spec = tmp_path / f"{job_id}.json"
    spec.write_text(json.dumps({"job_id": job_id, "image": IMAGE, "command": ["sleep", "600"],
                                "gpus": 1, "memory_mb": 32, "pids": 32, "scratch_mb": 8,
                                "load_profile": [{"seconds": 7200, "load": 1.0}]}))  # fmt: skip
    run = worker.cli("job", "run", str(spec), "--json")
    assert run.returncode in (0, 2), run.stdout + run.stderr + worker.output()
    return run.returncode == 0


def _core(worker: WorkerProcess) -> float | None:
    sample = worker.client.status().gpus[0].sample
    return None if sample is None else sample.core_temp_c


def _kills(worker: WorkerProcess) -> list[Event]:
    events = worker.client.call(endpoints.EVENTS, EventsQuery(limit=5000)).events
    return [e for e in events if e.kind == "guard.kill" and e.gpu_index == 0]


def test_an_emergency_stop_reaches_the_webhook_within_a_sample_period_once(
    start_worker: StartWorker, poll: Callable[..., Any], tmp_path: Path, receiver: Receiver
) -> None:
    home = _home(tmp_path, receiver.url)
    worker = start_worker("--simulate", "broken-fan", "--sim-speed", SPEED, home=home,
                          env={"RIGPILOT_ALLOWED_IMAGES": IMAGE})  # fmt: skip
    assert _full_load(worker, tmp_path, "heat-1")
    [first, *_] = poll(lambda: _kills(worker), timeout=120, interval=0.2)
    # how soon it arrives is a figure of tests/perf/fleet_perf.py, not asserted here
    [body] = poll(lambda: receiver.of("emergency_stop"), timeout=10, interval=0.05)
    assert body["gpu"] == 0 and body["source"] == "rigpilot" and "emergency stop" in body["title"]
    assert body["message"] == first.message

    # the same emergency again, inside the rate limit: the guard acts, no second push
    seen = len(_kills(worker))
    # the fan stays at 0 %: resume once the idle card has cooled, or the guard trips at once
    poll(lambda: (_core(worker) or 99) < 45, timeout=120, interval=0.5)
    resumed = worker.cli("resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    # the guard lets new work in once the card has cooled (a few seconds at this speed)
    tries = iter(range(1000))
    poll(lambda: _full_load(worker, tmp_path, f"heat-2-{next(tries)}"), timeout=120, interval=1.0)
    poll(lambda: len(_kills(worker)) > seen, timeout=120, interval=0.2)
    time.sleep(2.0)  # what would have been sent has had time to arrive
    assert len(receiver.of("emergency_stop")) == 1, receiver.got
    alerts = worker.client.call(endpoints.ALERTS)
    assert alerts.held_back >= 1 and alerts.destinations == [f"webhook {receiver.url}"]
    assert [d.ok for d in alerts.recent if d.kind == "emergency_stop"] == [True]


def test_the_worker_back_after_a_crash_says_so(
    start_worker: StartWorker, poll: Callable[..., Any], tmp_path: Path, receiver: Receiver
) -> None:
    home = _home(tmp_path, receiver.url)
    first = start_worker("--simulate", "warm", home=home)
    time.sleep(0.5)
    assert receiver.of("worker_recovered") == []  # a first start is no recovery
    first.kill()
    again = start_worker("--simulate", "warm", home=home)
    [body] = poll(lambda: receiver.of("worker_recovered"), timeout=15, interval=0.1)
    assert f"pid {first.pid}" in body["message"]
    again.stop()
    third = start_worker("--simulate", "warm", home=home)  # after a clean stop: nothing
    third.client.status()
    time.sleep(1.0)
    assert len(receiver.of("worker_recovered")) == 1
