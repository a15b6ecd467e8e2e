"""DockerRunner logic on a fake engine: preflight, exit reasons, deadline, reconcile.

The real engine is exercised in tests/integration/test_containers.py; here every branch
(OOM with a zero exit code, a vanished container, a 409 on pause...) runs in milliseconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docker.errors import APIError, ImageNotFound, NotFound

from desktop.jobs.docker_runner import DockerRunner, preflight_image
from desktop.jobs.runner import GpuSlot, Runner, RunnerError
from desktop.jobs.spec import HostLimits, JobSpec, SpecRefused, parse_spec
from desktop.model import ExitReason, JobState

IMAGE = "local/test:1"


class FakeImage:
    def __init__(self, env: list[str] | None = None, size: int = 1000, volumes: Any = None):
        self.id = "sha256:img"
        self.attrs = {"Size": size, "Config": {"Env": env or [], "Volumes": volumes}}


class FakeContainer:
    def __init__(self, engine: FakeEngine, config: dict[str, Any]) -> None:
        self.engine, self.config = engine, config
        self.id = f"c{len(engine.containers) + 1}"
        self.labels = config["labels"]
        self.status = "created"
        self.state: dict[str, Any] = {"ExitCode": 0, "OOMKilled": False, "Error": ""}
        self.calls: list[str] = []

    @property
    def attrs(self) -> dict[str, Any]:
        return {"State": self.state}

    def start(self) -> None:
        self.status = "running"

    def reload(self) -> None:
        pass

    def pause(self) -> None:
        if self.status != "running":
            raise APIError("not running", response=_Resp(409))
        self.status = "paused"

    def unpause(self) -> None:
        self.status = "running"

    def stop(self, timeout: int = 10) -> None:
        self.calls.append(f"stop {timeout}")
        self.exit(143)

    def kill(self) -> None:
        self.calls.append("kill")
        self.exit(137)

    def exit(self, code: int, oom: bool = False, error: str = "") -> None:
        self.status = "exited"
        self.state = {"ExitCode": code, "OOMKilled": oom, "Error": error}

    def logs(self, **kwargs: Any) -> bytes:
        return b"line 1\nline 2\n"

    def remove(self, **kwargs: Any) -> None:
        self.engine.containers.pop(self.id, None)


class _Resp:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.reason = "x"


class FakeEngine:
    """Just enough of docker.DockerClient."""

    def __init__(self) -> None:
        self.image_table: dict[str, FakeImage] = {IMAGE: FakeImage()}
        self.containers: dict[str, FakeContainer] = {}

    # images.get / containers.get / networks.get share one method name
    def get(self, key: str) -> Any:
        if key in self.containers:
            return self.containers[key]
        if key in self.image_table:
            return self.image_table[key]
        if key.startswith("c") or key.startswith("rigpilot-job-"):
            raise NotFound(key)
        raise ImageNotFound(key)

    def create(self, **config: Any) -> FakeContainer:
        container = FakeContainer(self, config)
        self.containers[container.id] = container
        return container

    def list(self, filters: Any = None, **kwargs: Any) -> list[Any]:
        wanted = dict(item.split("=", 1) for item in (filters or {}).get("label", []))
        return [
            c for c in self.containers.values()
            if all(c.labels.get(k) == v for k, v in wanted.items())
        ]  # fmt: skip

    def close(self) -> None:
        pass


class Client:
    def __init__(self, engine: FakeEngine) -> None:
        self.images = engine
        self.containers = engine
        self.networks = _Networks()
        self.engine = engine

    def close(self) -> None:
        pass


class _Networks:
    def list(self, filters: Any = None) -> list[Any]:
        return []

    def get(self, name: str) -> Any:
        raise NotFound(name)


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def setup(**spec: Any) -> tuple[DockerRunner, FakeEngine, Clock, JobSpec]:
    engine, clock = FakeEngine(), Clock()
    runner = DockerRunner(Client(engine), install_id="inst0001", worker_id="w1", clock=clock)  # type: ignore[arg-type]
    data = {"job_id": "j", "image": IMAGE, "memory_mb": 64, "deadline_s": 60, **spec}
    return runner, engine, clock, parse_spec(data, [IMAGE], HostLimits(4, 8000))


def test_is_a_runner() -> None:
    runner, *_ = setup()
    assert isinstance(runner, Runner)


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (FakeImage(env=["PATH=/bin", "LD_PRELOAD=/x.so"]), "image_env_forbidden"),
        (FakeImage(env=["LD_LIBRARY_PATH=/opt"]), "image_env_forbidden"),
        (FakeImage(env=["NVIDIA_VISIBLE_DEVICES=all"]), "image_env_forbidden"),
        (FakeImage(size=10**12), "image_too_large"),
        (FakeImage(volumes={f"/v{i}": {} for i in range(9)}), "image_volumes_refused"),
    ],
)
def test_preflight_refuses_dangerous_images(image: FakeImage, code: str) -> None:
    engine = FakeEngine()
    engine.image_table[IMAGE] = image
    with pytest.raises(SpecRefused) as info:
        preflight_image(Client(engine), IMAGE)  # type: ignore[arg-type]
    assert info.value.code == code


def test_preflight_never_pulls_unless_allowed() -> None:
    with pytest.raises(SpecRefused) as info:
        preflight_image(Client(FakeEngine()), "absent/image:1")  # type: ignore[arg-type]
    assert info.value.code == "image_missing" and "docker pull" in info.value.message


def test_image_volumes_get_a_tmpfs() -> None:
    runner, engine, _, spec = setup()
    engine.image_table[IMAGE] = FakeImage(volumes={"/data": {}})
    job = runner.start(spec, None)
    assert "/data" in engine.containers[job.ref].config["tmpfs"]


def test_simulated_gpu_runs_without_a_device_request_and_plays_the_load() -> None:
    runner, engine, clock, spec = setup(gpus=1, load_profile=[{"seconds": 5, "load": 0.6}])
    loads: list[tuple[int, float]] = []
    runner._set_load = lambda i, f: loads.append((i, f))
    job = runner.start(spec, GpuSlot(2, "GPU-sim", simulated=True))
    config = engine.containers[job.ref].config
    assert config["device_requests"] == [] and loads == [(2, 0.6)]
    runner.pause(job)
    assert loads[-1] == (2, 0.0)
    runner.unpause(job)
    assert loads[-1] == (2, 0.6)
    engine.containers[job.ref].exit(0)
    runner.poll(job)
    assert loads[-1] == (2, 0.0)


def test_real_gpu_gets_its_uuid() -> None:
    runner, engine, _, spec = setup(gpus=1)
    job = runner.start(spec, GpuSlot(0, "GPU-1234"))
    assert engine.containers[job.ref].config["device_requests"][0]["DeviceIDs"] == ["GPU-1234"]


@pytest.mark.parametrize(
    ("code", "oom", "error", "reason", "state"),
    [
        (0, False, "", ExitReason.EXITED, JobState.SUCCEEDED),
        (3, False, "", ExitReason.EXITED, JobState.FAILED),
        (137, True, "", ExitReason.OOM, JobState.FAILED),
        (0, True, "", ExitReason.EXITED, JobState.SUCCEEDED),  # a child was OOM-killed
        (127, False, "exec: not found", ExitReason.ERROR, JobState.FAILED),
    ],
)
def test_exit_reasons(
    code: int, oom: bool, error: str, reason: ExitReason, state: JobState
) -> None:
    runner, engine, _, spec = setup()
    job = runner.start(spec, None)
    assert runner.poll(job) is None
    engine.containers[job.ref].exit(code, oom, error)
    info = runner.poll(job)
    assert info is not None and (info.reason, info.state, info.exit_code) == (reason, state, code)
    assert info.logs_tail == "line 1\nline 2\n"
    assert job.ref not in engine.containers  # removed once its ending is read


def test_deadline_kills_and_is_the_reason() -> None:
    runner, engine, clock, spec = setup(deadline_s=10)
    job = runner.start(spec, None)
    clock.now += 10
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.DEADLINE and info.exit_code == 137


def test_stop_of_a_paused_job_unpauses_first_and_records_the_reason() -> None:
    runner, engine, _, spec = setup()
    job = runner.start(spec, None)
    container = engine.containers[job.ref]
    runner.pause(job)
    runner.stop(job, ExitReason.GUARD, timeout_s=3)
    assert container.calls == ["stop 3"] and not job.paused
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.GUARD and info.state is JobState.STOPPED


def test_pause_conflict_is_ignored_and_vanished_container_is_an_error() -> None:
    runner, engine, _, spec = setup()
    job = runner.start(spec, None)
    engine.containers[job.ref].status = "exited"
    runner.pause(job)  # 409 from the engine: nothing to do
    del engine.containers[job.ref]
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.ERROR and "disappeared" in info.message


def test_a_config_breaking_the_profile_is_never_created(monkeypatch: pytest.MonkeyPatch) -> None:
    runner, engine, _, spec = setup()
    from desktop.jobs import docker_runner

    real = docker_runner.container_config
    monkeypatch.setattr(
        docker_runner, "container_config", lambda *a: {**real(*a), "privileged": True}
    )
    with pytest.raises(RunnerError) as info:
        runner.start(spec, None)
    assert info.value.code == "profile_violation" and engine.containers == {}


def test_reconcile_removes_orphans_and_reports_lost_jobs() -> None:
    runner, engine, _, spec = setup()
    live = runner.start(spec, None)
    other = parse_spec({"job_id": "old", "image": IMAGE}, [IMAGE], HostLimits(4, 8000))
    orphan = runner.start(other, None)
    foreign = engine.create(labels={"io.rigpilot.managed": "1", "io.rigpilot.install": "zzz"})
    result = runner.reconcile(["j", "old", "gone"], ["j"])
    assert result.interrupted_ids == ["old", "gone"]
    assert result.removed_refs == [orphan.ref]
    assert set(engine.containers) == {live.ref, foreign.id}


def test_lease_and_reaper_only_with_a_lease_dir(tmp_path: Path) -> None:
    runner, *_ = setup()
    assert runner.lease is None
    runner.heartbeat()  # no lease: nothing to renew
    with_lease = DockerRunner(
        Client(FakeEngine()),
        install_id="i",
        worker_id="w9",
        lease_dir=tmp_path,  # type: ignore[arg-type]
    )
    assert with_lease.lease is not None
    assert with_lease.lease.path == tmp_path / "jobs-w9.lease"
    assert with_lease.lease.worker_label == "io.rigpilot.worker=w9"
