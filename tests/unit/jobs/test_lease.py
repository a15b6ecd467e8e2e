"""The lease and the reaper's decision: when does a dead worker's job get stopped?"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop.jobs import reaper
from desktop.jobs.lease import Lease, LeaseInfo, LeaseWatch, install_id, read_lease


def test_watch_reaps_when_the_lease_is_released_or_the_worker_is_gone() -> None:
    watch = LeaseWatch(stale_after_s=30)
    assert watch.should_reap(None, True, 0.0)
    assert watch.should_reap(LeaseInfo(1, 42), False, 0.0)


def test_watch_measures_staleness_on_its_own_clock() -> None:
    watch = LeaseWatch(stale_after_s=30)
    assert not watch.should_reap(LeaseInfo(1, None), True, 100.0)
    assert not watch.should_reap(LeaseInfo(1, None), True, 130.0)
    assert not watch.should_reap(LeaseInfo(2, None), True, 131.0)  # renewed
    assert not watch.should_reap(LeaseInfo(2, None), True, 160.0)
    assert watch.should_reap(LeaseInfo(2, None), True, 161.5)


def test_watch_ignores_wall_clock_jumps_of_the_lease_file() -> None:
    """A lease whose mtime is far in the past (clock jump, suspend) is not stale at once."""
    watch = LeaseWatch(stale_after_s=30)
    old = LeaseInfo(token=1, worker_pid=None)  # token = an mtime from long ago
    assert not watch.should_reap(old, True, 5000.0)
    assert not watch.should_reap(old, True, 5029.0)


def test_renew_creates_then_touches_the_lease(tmp_path: Path) -> None:
    lease = Lease(tmp_path / "run" / "jobs-w.lease", "io.rigpilot.worker=w", renew_every_s=0)
    lease.renew()
    first = read_lease(lease.path)
    assert first is not None and first.worker_pid == os.getpid()
    os.utime(lease.path, ns=(10**9, 10**9))  # whole seconds: NTFS keeps 100 ns ticks
    lease.renew()
    second = read_lease(lease.path)
    assert second is not None and second.token != 1
    lease.release()
    assert read_lease(lease.path) is None


def test_renew_is_rate_limited(tmp_path: Path) -> None:
    lease = Lease(tmp_path / "l.lease", "io.rigpilot.worker=w", renew_every_s=3600)
    lease.renew()
    os.utime(lease.path, ns=(10**9, 10**9))  # whole seconds: NTFS keeps 100 ns ticks
    lease.renew()  # too soon: untouched
    assert lease.path.stat().st_mtime_ns == 10**9
    lease.renew(force=True)
    assert lease.path.stat().st_mtime_ns != 10**9


def test_unreadable_lease_is_judged_by_staleness(tmp_path: Path) -> None:
    path = tmp_path / "l.lease"
    path.write_text("{not json")
    info = read_lease(path)
    assert info is not None and info.worker_pid is None


def test_install_id_is_stable(tmp_path: Path) -> None:
    first = install_id(tmp_path / "data")
    assert len(first) == 16 and install_id(tmp_path / "data") == first
    assert install_id(tmp_path / "other") != first


def test_worker_alive_sees_a_dead_process() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not reaper.worker_alive(proc.pid)
    assert reaper.worker_alive(os.getpid())
    assert reaper.worker_alive(None)


def test_reaper_watch_returns_once_the_lease_is_released(tmp_path: Path) -> None:
    lease = Lease(tmp_path / "l.lease", "io.rigpilot.worker=w")
    lease.renew(force=True)
    done = threading.Event()
    thread = threading.Thread(
        target=lambda: (reaper.watch(lease.path, 30, 0.05), done.set()), daemon=True
    )
    thread.start()
    time.sleep(0.2)
    assert not done.is_set()
    lease.release()
    assert done.wait(5)


def test_reaper_refuses_a_label_that_is_not_a_worker_label(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        reaper.main(["--lease", str(tmp_path / "l"), "--label", "io.rigpilot.managed=1"])
