"""Jobs in hardened containers, on the real (private) Docker engine with the busybox image.

What issue 5 asks, checked for real: a probe sees no capabilities and cannot write to /,
mount or unshare; a fork loop stops at the pids limit; a memory hog ends OOM; a sleeper
past its deadline is killed with reason deadline; none of them is credited (a successful
job is, so the crediting path is live). Hostile specs and images are refused with their
codes. Killing the worker: without a restart the reaper stops its container within 60 s;
with a restart, reconcile marks the job INTERRUPTED exactly once and removes the orphan.
Every container is labelled with a per-test install id and removed afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psutil
import pytest

from desktop.jobs.docker_runner import DockerRunner, connect, reap
from desktop.jobs.runner import RunnerError
from desktop.jobs.spec import Pay, SpecRefused, pay_due
from desktop.ledger import Ledger
from desktop.model import ExitReason, JobRecord, JobState
from desktop.worker.jobs_service import JobService

DATA = Path(__file__).parents[1] / "data" / "jobs"

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and a unix socket engine"),
]


@pytest.fixture
def client(docker_host: str) -> Iterator[Any]:
    try:
        engine = connect(10)
    except RunnerError as exc:
        _missing(f"the private Docker engine ({exc.message})")
    yield engine
    engine.close()


def _missing(what: str) -> None:
    message = f"{what} is not available (tests/run.sh starts it)"
    if os.environ.get("RIGPILOT_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def install(client: Any) -> Iterator[str]:
    """A fresh install id: it scopes every container of the test, all removed at the end."""
    install_id = "t" + secrets.token_hex(7)
    yield install_id
    reap(client, ["io.rigpilot.managed=1", f"io.rigpilot.install={install_id}"], 1)


def ours(client: Any, install: str) -> list[Any]:
    return list(
        client.containers.list(
            ignore_removed=True, all=True, filters={"label": [f"io.rigpilot.install={install}"]}
        )
    )


@dataclass
class Stack:
    service: JobService
    runner: DockerRunner
    ledger: Ledger
    image: str
    credited: list[JobRecord] = field(default_factory=list)

    def run(self, spec: dict[str, Any], timeout: float = 60) -> JobRecord:
        record = self.service.submit({"image": self.image, **spec})
        return self.wait(record.job_id, timeout)

    def wait(self, job_id: str, timeout: float = 60) -> JobRecord:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.service.poll()
            record = self.service.get(job_id)
            if record is not None and record.state.finished:
                return record
            time.sleep(0.2)
        pytest.fail(f"job {job_id} did not end within {timeout} s")


@pytest.fixture
def stack(client: Any, install: str, test_image: str, tmp_path: Path) -> Iterator[Stack]:
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    runner = DockerRunner(client, install_id=install, lease_dir=tmp_path / "run")
    holder: list[Stack] = []

    def credit(record: JobRecord) -> None:
        """A network crediting finished jobs by the default policy (pay_due)."""
        money = pay_due(record, PAY)
        if money is not None:
            # stamped with the job's own end (the job service's clock), not a test's reading
            ledger.record_earning(f"test:{record.job_id}:pay", record.network, "job", money,
                                  record.ended_ts or record.created_ts, record.job_id)  # fmt: skip
            holder[0].credited.append(record)

    service = JobService(
        runner, ledger, lambda: [], lambda event: None,
        allowed_images=lambda: [test_image], on_finished=credit,
    )  # fmt: skip
    holder.append(Stack(service, runner, ledger, test_image))
    yield holder[0]
    service.shutdown(timeout_s=1)
    ledger.close()


PAY_SPEC = {"amount": "0.25", "unit": "USD", "per": "job"}
PAY = Pay(Decimal("0.25"), "USD", "job")
SMALL = {"memory_mb": 32, "pids": 32, "scratch_mb": 8, "cpus": 0.5, "pay": PAY_SPEC}

# busybox runs the applet named by argv[0]: a copy named "true" exits 0 wherever it may
# run, and fails only where the folder is noexec ("bb true" would fail everywhere).
PROBE = r"""
grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status
echo "uid=$(id -u) gid=$(id -g)"
touch /rootfile 2>/dev/null && echo ROOT_WRITABLE || echo ROOT_READ_ONLY
mount -t tmpfs none /work 2>/dev/null && echo MOUNT_OK || echo MOUNT_DENIED
unshare -U true 2>/dev/null && echo UNSHARE_OK || echo UNSHARE_DENIED
unshare -m true 2>/dev/null && echo UNSHARE_M_OK || echo UNSHARE_M_DENIED
echo data > /work/f && echo WORK_WRITABLE
cp /bin/busybox /tmp/true && (/tmp/true 2>/dev/null && echo TMP_EXEC || echo TMP_NOEXEC)
cp /bin/busybox /work/true && (/work/true 2>/dev/null && echo WORK_EXEC || echo WORK_NOEXEC)
grep -c ':' /proc/net/dev
echo "home=$HOME pwd=$PWD gpu=$NVIDIA_VISIBLE_DEVICES"
"""


def test_probe_container_is_locked_down(stack: Stack) -> None:
    record = stack.run({"job_id": "probe", "command": ["sh", "-c", PROBE], **SMALL})
    assert record.state is JobState.SUCCEEDED, record
    logs = stack.service.logs_tail("probe")
    assert "CapEff:\t0000000000000000" in logs
    assert "NoNewPrivs:\t1" in logs
    assert "Seccomp:\t2" in logs  # Docker's default seccomp filter is on
    assert "uid=65534 gid=65534" in logs
    for fact in ("ROOT_READ_ONLY", "MOUNT_DENIED", "UNSHARE_DENIED", "UNSHARE_M_DENIED",
                 "WORK_WRITABLE", "TMP_NOEXEC", "WORK_EXEC",  # as docs/jobs.md says
                 "home=/work pwd=/work gpu=void"):  # fmt: skip
        assert fact in logs, logs
    assert logs.splitlines()[-2].strip() == "1"  # only the loopback interface (network none)
    assert stack.credited == [record]  # the crediting path works for a clean success
    assert len(stack.ledger.earnings()) == 1


def test_fork_loop_stops_at_the_pids_limit(stack: Stack) -> None:
    loop = "i=0; while true; do sleep 30 & i=$((i+1)); echo $i; done"
    record = stack.run({"job_id": "forks", "command": ["sh", "-c", loop], **SMALL})
    logs = stack.service.logs_tail("forks")
    started = [int(line) for line in logs.split() if line.isdigit()]
    assert "can't fork" in logs
    assert 0 < max(started) < 32  # init + sh + sleeps fill the 32 pids
    assert record.state is JobState.FAILED and stack.credited == []


def test_memory_hog_ends_out_of_memory(stack: Stack) -> None:
    hog = ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]
    record = stack.run({"job_id": "hog", "command": hog, **SMALL})
    assert record.exit_reason is ExitReason.OOM and record.state is JobState.FAILED
    stored = stack.ledger.job("hog")
    assert stored is not None and stored.exit_reason is ExitReason.OOM
    assert stack.credited == [] and stack.ledger.earnings() == []


def test_sleeper_past_its_deadline_is_killed(stack: Stack, client: Any, install: str) -> None:
    record = stack.service.submit(
        {"image": stack.image, "job_id": "sleeper", "command": ["sleep", "60"], "deadline_s": 2,
         **SMALL}
    )  # fmt: skip
    [container] = ours(client, install)
    host = container.attrs["HostConfig"]
    assert host["CapDrop"] == ["ALL"] and host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["ReadonlyRootfs"] and host["Init"] and not host["Privileged"]
    assert host["Memory"] == host["MemorySwap"] == 32 * 1024 * 1024
    assert host["PidsLimit"] == 32 and host["NanoCpus"] == 500_000_000
    assert host["NetworkMode"] == "none" and not host["Binds"] and not host["PortBindings"]
    assert container.attrs["Config"]["User"] == "65534:65534"
    record = stack.wait("sleeper", 30)
    assert record.exit_reason is ExitReason.DEADLINE and record.state is JobState.FAILED
    assert stack.ledger.job("sleeper").exit_reason is ExitReason.DEADLINE  # type: ignore[union-attr]
    assert stack.credited == [] and ours(client, install) == []


def test_pause_resume_then_a_guard_stop(stack: Stack, client: Any, install: str) -> None:
    stack.service.submit(
        {"image": stack.image, "job_id": "pausable", "command": ["sleep", "60"], **SMALL}
    )
    assert stack.service.freeze(None, "too hot") == ["pausable"]  # a job with no GPU
    [container] = ours(client, install)
    assert container.status == "paused"
    assert stack.service.thaw(None, "cooled down") == ["pausable"]
    container.reload()
    assert container.status == "running"
    stack.service.freeze(None, "too hot again")
    assert stack.service.stop_all(ExitReason.GUARD, None, timeout_s=1) == ["pausable"]
    record = stack.service.get("pausable")
    assert record is not None and record.state is JobState.STOPPED
    assert record.exit_reason is ExitReason.GUARD and stack.credited == []
    states = [t.state for t in stack.ledger.transitions("pausable")]
    assert states == [JobState.STARTING, JobState.RUNNING, JobState.PAUSED, JobState.RUNNING,
                      JobState.PAUSED, JobState.STOPPED]  # fmt: skip
    assert ours(client, install) == []


def test_documented_example_runs(stack: Stack) -> None:
    spec = json.loads((DATA / "hello.json").read_text())
    spec["image"] = stack.image
    record = stack.run(spec)
    assert record.state is JobState.SUCCEEDED
    assert "hello from nobody in /work" in stack.service.logs_tail("hello-1")


def test_egress_job_gets_its_own_bridge_removed_afterwards(
    stack: Stack, client: Any, install: str
) -> None:
    """LAN blocking needs iptables rules this engine lacks (--iptables=false): see docs."""
    record = stack.service.submit(
        {"image": stack.image, "job_id": "egress", "command": ["sleep", "30"],
         "needs_network": True, **SMALL}
    )  # fmt: skip
    if record.state is JobState.FAILED:  # an engine that cannot make bridges says so
        assert record.exit_reason is ExitReason.ERROR and "network" in record.message
        return
    [container] = ours(client, install)
    name = f"rigpilot-job-{install[:8]}-egress"
    assert container.attrs["HostConfig"]["NetworkMode"] == name
    network = client.networks.get(name)
    assert network.attrs["Options"]["com.docker.network.bridge.enable_icc"] == "false"
    assert network.attrs["Labels"]["io.rigpilot.install"] == install
    stack.service.stop("egress", timeout_s=1)
    assert client.networks.list(names=[name]) == []


# --- refusals -----------------------------------------------------------------------------


@pytest.fixture
def hostile_images(client: Any, test_image: str) -> Iterator[dict[str, str]]:
    """Images whose own config sets LD_PRELOAD / NVIDIA_VISIBLE_DEVICES (NVIDIAScape)."""
    tag = secrets.token_hex(4)
    made = {}
    base = client.containers.create(test_image, ["true"], labels={"io.rigpilot.test": "1"})
    try:
        for name, env in (
            ("ldpreload", "LD_PRELOAD=/x.so"),
            ("nvidia", "NVIDIA_VISIBLE_DEVICES=all"),
        ):
            repo = f"rigpilot-test/hostile-{name}"
            base.commit(repo, tag, changes=[f"ENV {env}"])
            made[name] = f"{repo}:{tag}"
    finally:
        base.remove(force=True)
    yield made
    for image in made.values():
        client.images.remove(image, force=True)


def test_hostile_specs_and_images_are_refused(
    stack: Stack, client: Any, install: str, hostile_images: dict[str, str]
) -> None:
    cases = [json.loads(p.read_text()) for p in sorted((DATA / "hostile").glob("*.json"))]
    for case in cases:
        spec = {**case["spec"], "image": case["spec"]["image"].replace(
            "rigpilot-test/busybox:latest", stack.image)}  # fmt: skip
        with pytest.raises(SpecRefused) as info:
            stack.service.submit(spec)
        assert info.value.code == case["expect"], case
    allowed = [stack.image, *hostile_images.values()]
    stack.service.allowed_images = lambda: allowed
    for image in hostile_images.values():
        with pytest.raises(SpecRefused) as info:
            stack.service.submit({"image": image, "command": ["true"]})
        assert info.value.code == "image_env_forbidden"
    missing = "example.invalid/nothing@sha256:" + "0" * 64
    with pytest.raises(SpecRefused) as info:
        stack.service.submit({"image": missing})
    assert info.value.code == "image_missing"  # and never pulled: no registry here
    assert ours(client, install) == [] and stack.service.list() == []


# --- the worker dies ------------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from desktop.jobs.docker_runner import DockerRunner
    from desktop.ledger import Ledger
    from desktop.worker.jobs_service import JobService

    home, install, image = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    ledger = Ledger.open(home / "ledger.sqlite")
    runner = DockerRunner(install_id=install, lease_dir=home / "run")
    service = JobService(runner, ledger, lambda: [], lambda e: None,
                         allowed_images=lambda: [image])
    record = service.submit({"job_id": "victim", "image": image, "command": ["sleep", "600"],
                             "memory_mb": 32, "pids": 16, "deadline_s": 900})
    print(json.dumps({"state": record.state.value, "lease": str(runner.lease.path)}), flush=True)
    while True:
        service.poll()
        time.sleep(1)
    """
)


@dataclass
class FakeWorker:
    proc: subprocess.Popen[bytes]
    lease: Path

    @property
    def reaper_pid(self) -> int:
        return int(self.lease.with_name(self.lease.name + ".reaper.pid").read_text())


@pytest.fixture
def start_worker(
    tmp_path: Path, install: str, test_image: str
) -> Iterator[Callable[[], FakeWorker]]:
    started: list[subprocess.Popen[bytes]] = []
    reapers: list[int] = []

    def start() -> FakeWorker:
        script = tmp_path / "worker_sim.py"
        script.write_text(WORKER)
        proc = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), install, test_image],
            stdout=subprocess.PIPE,
        )
        started.append(proc)
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(60):
                pytest.fail("the simulated worker did not start its job")
        line = json.loads(proc.stdout.readline())
        assert line["state"] == "running"
        worker = FakeWorker(proc, Path(line["lease"]))
        wait_until(lambda: worker.lease.with_name(worker.lease.name + ".reaper.pid").exists(), 10)
        reapers.append(worker.reaper_pid)
        return worker

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    for pid in reapers:  # a reaper this test started that is still there
        if psutil.pid_exists(pid):
            os.kill(pid, signal.SIGKILL)


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.25) -> None:
    """Poll ``predicate``; fail after ``timeout`` s (a time-out, not a measured duration)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(every)


def reaper_said(worker: FakeWorker) -> str:
    """What the worker's reaper logged (why it stopped the containers)."""
    log = worker.lease.with_name(worker.lease.name + ".reaper.log")
    return log.read_text(errors="replace") if log.exists() else ""


def _running(client: Any, install: str) -> bool:
    return any(c.status == "running" for c in ours(client, install))


def test_killed_worker_without_restart_its_container_stops_within_60s(
    client: Any, install: str, start_worker: Callable[[], FakeWorker]
) -> None:
    worker = start_worker()
    assert _running(client, install)
    reaper = psutil.Process(worker.reaper_pid)
    assert os.getsid(reaper.pid) != os.getsid(worker.proc.pid)  # its own session
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait()
    wait_until(lambda: ours(client, install) == [], 60)
    assert "lease worker gone" in reaper_said(worker), reaper_said(worker)
    wait_until(lambda: not psutil.pid_exists(reaper.pid) or reaper.status() == "zombie", 15)


@pytest.mark.slow
def test_hung_worker_lease_goes_stale_and_its_container_stops(
    client: Any, install: str, start_worker: Callable[[], FakeWorker]
) -> None:
    worker = start_worker()
    worker.proc.send_signal(signal.SIGSTOP)  # alive but silent: the lease is not renewed
    try:
        wait_until(lambda: ours(client, install) == [], 60, every=1)
        # The worker is alive (stopped, not dead): only the lease's 30 s of silence, as the
        # reaper measures it, can have ended the container (LeaseWatch's unit tests time it).
        assert worker.proc.poll() is None
        assert "lease stale" in reaper_said(worker), reaper_said(worker)
    finally:
        worker.proc.kill()


def test_killed_worker_restarted_interrupts_once_and_removes_the_orphan(
    client: Any, install: str, start_worker: Callable[[], FakeWorker], tmp_path: Path,
    test_image: str,
) -> None:  # fmt: skip
    worker = start_worker()
    os.kill(worker.reaper_pid, signal.SIGKILL)  # both die (a crash, a power cut)
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait()
    [orphan] = ours(client, install)

    finished: list[JobRecord] = []
    for attempt in range(2):  # restart, then restart again
        ledger = Ledger.open(tmp_path / "ledger.sqlite")
        runner = DockerRunner(client, install_id=install, lease_dir=tmp_path / "run2")
        service = JobService(
            runner, ledger, lambda: [], lambda e: None, on_finished=finished.append
        )
        result = service.reconcile()
        if attempt == 0:
            assert result.interrupted_ids == ["victim"] and result.removed_refs == [orphan.id]
        else:
            assert result.interrupted_ids == [] and result.removed_refs == []
        stored = ledger.job("victim")
        assert stored is not None and stored.state is JobState.INTERRUPTED
        assert stored.exit_reason is ExitReason.INTERRUPTED
        service.shutdown(timeout_s=1)
        ledger.close()
    assert [r.job_id for r in finished] == ["victim"]  # interrupted exactly once
    assert ours(client, install) == []
