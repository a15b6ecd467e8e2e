"""One worker per installation: the OS lock and the pid it records."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.worker.lock import AlreadyRunning, WorkerLock, is_locked, read_pid

HOLDER = """
import sys, time
from pathlib import Path
from desktop.worker.lock import WorkerLock
lock = WorkerLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_lock_records_our_pid_and_is_released(tmp_path: Path) -> None:
    path = tmp_path / "run" / "worker.lock"
    lock = WorkerLock(path)
    lock.acquire()
    assert (lock.held, is_locked(path)) == (True, True)
    assert read_pid(path) == os.getpid()
    lock.release()
    assert (lock.held, is_locked(path)) == (False, False)
    assert read_pid(path) is None


def test_second_holder_is_refused_with_the_pid(tmp_path: Path) -> None:
    path = tmp_path / "worker.lock"
    with WorkerLock(path):
        with pytest.raises(AlreadyRunning) as caught:
            WorkerLock(path).acquire()
    assert caught.value.pid == os.getpid()
    assert f"already running (pid {os.getpid()})" in str(caught.value)


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "worker.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunning) as caught:
            WorkerLock(path).acquire()
        assert caught.value.pid == holder.pid
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]  # or it leaks (filterwarnings=error)
    assert read_pid(path) == holder.pid  # the stale pid is still written...
    with WorkerLock(path) as lock:  # ...but the OS released the lock
        assert lock.held and read_pid(path) == os.getpid()
