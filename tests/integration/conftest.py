"""Real worker processes for integration tests.

``start_worker(*args, env=None, home=None)`` starts ``python -m desktop worker ARGS
--foreground`` (ARGS default to ``--simulate warm``) with ``RIGPILOT_HOME`` set to a
private folder, waits until its API answers on the real socket, and returns a
``WorkerProcess``. Every worker a test started is stopped at the end of the test (SIGTERM,
then SIGKILL). The ``worker`` fixture is one default worker.

    def test_something(start_worker):
        w = start_worker("--simulate", "warm,hot")
        assert w.client.status().mode == "simulated"
        w.cli("pause", "--json")
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from desktop.ipc.client import WorkerClient, WorkerNotRunning
from desktop.ipc.schema import StatusAnswer
from desktop.paths import Paths

DEFAULT_ARGS = ("--simulate", "warm")
START_TIMEOUT_S = 20.0


def worker_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["RIGPILOT_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def home_paths(home: Path) -> Paths:
    return Paths(home / "config", home / "data", home / "logs", home / "run")


def run_cli(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run ``rigpilot ARGS`` (as ``python -m desktop``) against the installation in ``home``."""
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        env=worker_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class WorkerProcess:
    """A running ``rigpilot worker`` subprocess and a client of its API.

    Attributes:
        process: the Popen of the worker.
        home: its RIGPILOT_HOME.
        client: a WorkerClient bound to that home.
        env: the environment it runs with (reuse it for CLI calls).
    """

    process: subprocess.Popen[bytes]
    home: Path
    client: WorkerClient
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def paths(self) -> Paths:
        return home_paths(self.home)

    @property
    def console(self) -> Path:
        return self.home / "worker-console.out"

    def alive(self) -> bool:
        return self.process.poll() is None

    def cli(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        return run_cli(self.home, *args, env=self.env, timeout=timeout)

    def output(self) -> str:
        """What the worker printed (its console) and the end of its log, for failures."""
        text = self.console.read_text(errors="replace") if self.console.exists() else ""
        log = self.paths.log_dir / "worker.log"
        if log.exists():
            text += "\n--- worker.log ---\n" + "\n".join(
                log.read_text(errors="replace").splitlines()[-40:]
            )
        return text

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code (SIGKILL if it does not stop in time)."""
        self.client.close()
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"the worker ignored SIGTERM for {timeout} s\n{self.output()}"
            ) from None

    def kill(self) -> None:
        """SIGKILL, the way a crash or the OOM killer ends it, and reap it."""
        self.client.close()
        if self.alive():
            self.process.kill()
        self.process.wait()


class StartWorker(Protocol):
    def __call__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        home: Path | None = None,
        wait: bool = True,
    ) -> WorkerProcess: ...


def wait_for_api(worker: WorkerProcess, timeout: float = START_TIMEOUT_S) -> StatusAnswer:
    """Poll status until the worker answers; fails with its output if it dies or stalls."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return worker.client.status()
        except WorkerNotRunning:
            pass
        if not worker.alive():
            raise AssertionError(
                f"the worker exited with {worker.process.returncode} before answering\n"
                f"{worker.output()}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker did not answer within {timeout} s\n{worker.output()}")
        time.sleep(0.05)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[StartWorker]:
    started: list[WorkerProcess] = []

    def start(
        *args: str,
        env: dict[str, str] | None = None,
        home: Path | None = None,
        wait: bool = True,
    ) -> WorkerProcess:
        home = home or tmp_path / "home"
        home.mkdir(parents=True, exist_ok=True)
        argv = list(args or DEFAULT_ARGS)
        if "--foreground" not in argv:
            argv.append("--foreground")
        full_env = worker_env(home, env)
        console = open(home / "worker-console.out", "ab")  # noqa: SIM115 - kept for the child
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "desktop", "worker", *argv],
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
            )
        finally:
            console.close()
        worker = WorkerProcess(process, home, WorkerClient(home_paths(home)), env or {})
        started.append(worker)
        if wait:
            wait_for_api(worker)
        return worker

    yield start
    for worker in started:
        if worker.alive():
            try:
                worker.stop(timeout=10)
            except AssertionError:
                pass
        worker.client.close()


@pytest.fixture
def worker(start_worker: StartWorker) -> WorkerProcess:
    """One worker with a simulated warm GPU, in this test's private RIGPILOT_HOME."""
    return start_worker()


def _poll(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def poll() -> Callable[..., Any]:
    """``poll(check, timeout=10)``: call ``check`` until it returns something truthy."""
    return _poll
