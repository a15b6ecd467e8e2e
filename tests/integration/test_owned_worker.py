"""A worker that belongs to the process that started it (the demo app's): real processes.

``OwnedWorker`` starts ``rigpilot worker --lifeline`` with a pipe as its stdin; the worker
stops, the normal way, when the pipe ends: when its owner says so, and when its owner is
killed (no code of the owner runs then; the kernel closes the pipe).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from desktop.ipc.client import IpcError, WorkerClient
from desktop.ipc.launch import OwnedWorker, spawn_worker, wait_gone, wait_until_ready
from desktop.paths import Paths

ARGS = ["--demo", "--sim-speed", "10"]


def layout(home: Path) -> Paths:
    return Paths(home / "config", home / "data", home / "logs", home / "run")


def running(client: WorkerClient) -> bool:
    try:
        client.status()
    except IpcError:
        return False
    return True


def test_the_owner_stops_it_and_a_worker_left_in_its_folders_is_replaced(
    rigpilot_home: Path,
) -> None:
    paths = layout(rigpilot_home)
    client = WorkerClient(paths)
    left = spawn_worker(ARGS, paths)  # one left behind (started by hand, say)
    try:
        left_pid = wait_until_ready(client, timeout=30, exited=left.poll).pid
        owned = OwnedWorker(ARGS, paths)
        owned.start()
        assert left.wait(30) == 0  # stopped the normal way, not killed
        status = client.status()
        assert status.pid != left_pid and owned.process is not None
        assert status.pid == owned.process.pid and status.mode == "demo"
        owned.stop()
        assert not running(client)
    finally:
        if left.poll() is None:
            left.kill()
            left.wait()
        client.close()


def test_a_killed_owner_takes_its_worker_along(rigpilot_home: Path) -> None:
    """The owner is a separate process, SIGKILLed: no quit code runs anywhere."""
    paths = layout(rigpilot_home)
    owner_code = textwrap.dedent(
        f"""
        import sys, time
        from desktop.ipc.launch import OwnedWorker
        from desktop.paths import Paths
        from pathlib import Path
        home = Path({str(rigpilot_home)!r})
        owned = OwnedWorker({ARGS!r}, Paths(home / "config", home / "data", home / "logs",
                                             home / "run"))
        owned.start()
        print(owned.process.pid, flush=True)
        time.sleep(600)
        """
    )
    env = dict(os.environ, RIGPILOT_HOME=str(rigpilot_home))
    owner = subprocess.Popen(
        [sys.executable, "-c", owner_code], env=env, stdout=subprocess.PIPE, text=True
    )
    client = WorkerClient(paths)
    try:
        assert owner.stdout is not None
        worker_pid = int(owner.stdout.readline())
        assert client.status().pid == worker_pid
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        assert wait_gone(worker_pid, 30)
        assert not running(client)
        log = (paths.log_dir / "worker.log").read_text()
        assert "the app that owns this worker is gone" in log
        assert "RigPilot worker stopped" in log  # the normal way: jobs and ledger closed
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        if owner.stdout is not None:
            owner.stdout.close()
        client.close()
