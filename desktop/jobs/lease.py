"""Jobs never outlive the worker: a lease file the worker renews, watched by a reaper.

Why this mechanism. A job container is a child of the Docker engine, not of the worker, so
it survives ``kill -9`` of the worker; reconciling at the next start (reliability.md §8.4)
only helps if the worker comes back. Folding@home lost work by relying on a clean shutdown
and BOINC apps give up after 30 s without a heartbeat; we copy BOINC's rule, from outside
the container (we cannot trust code inside it to stop itself):

1. The worker renews a lease file (``<runtime>/jobs-<worker id>.lease``) every 5 s: an
   ``os.utime`` call, from its periodic job poll. A worker whose loop hangs stops renewing
   it too, and a hung worker cannot guard the GPU, so its jobs should stop as well.
2. Before its first container starts, the worker starts ``python -m desktop.jobs.reaper``
   in a new session (``start_new_session``), so the reaper is NOT killed with the worker's
   process group or by its death. The reaper only reads the lease.
3. The reaper stops and removes every container labelled with this worker instance's id
   when the lease file is deleted (clean shutdown), when the worker's pid is gone (crash:
   within one check, ~2 s), or when the lease has not changed for 30 s of the reaper's
   OWN monotonic clock (hung worker). Then it exits. Measuring staleness as "the reaper
   saw no renewal for 30 s" instead of comparing the file's mtime with the wall clock
   keeps a clock jump or a laptop suspend from reaping healthy jobs.

Worst case from ``kill -9`` to stopped containers: 30 s + one 2 s check + a 5 s stop
timeout, under the 60 s the issue asks. If the reaper itself is killed, the worker starts
a new one at its next poll; if both die, reconcile at the next start removes the orphans.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from desktop.atomic import unlink_when_free

RENEW_EVERY_S = 5.0
STALE_AFTER_S = 30.0
CHECK_EVERY_S = 2.0


@dataclass(frozen=True)
class LeaseInfo:
    """One look at the lease file: its change token and the worker pid written in it."""

    token: int  # mtime in ns: changes at every renewal
    worker_pid: int | None


def read_lease(path: Path) -> LeaseInfo | None:
    """The lease as it is now; None when the file is gone (the worker released it)."""
    try:
        stat = path.stat()
        data = json.loads(path.read_text() or "{}")
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return LeaseInfo(0, None)  # being rewritten: judge by staleness alone
    pid = data.get("pid") if isinstance(data, dict) else None
    return LeaseInfo(stat.st_mtime_ns, pid if isinstance(pid, int) else None)


class LeaseWatch:
    """The reaper's decision, kept pure for tests: should the jobs be stopped now?"""

    def __init__(self, stale_after_s: float = STALE_AFTER_S) -> None:
        self.stale_after_s = stale_after_s
        self._token: int | None = None
        self._seen_at = 0.0

    def should_reap(self, lease: LeaseInfo | None, worker_alive: bool, now: float) -> bool:
        """``now`` is the reaper's monotonic time; a changed token renews the lease."""
        if lease is None or not worker_alive:
            return True
        if lease.token != self._token:
            self._token, self._seen_at = lease.token, now
            return False
        return now - self._seen_at > self.stale_after_s


class Lease:
    """The worker's side: create, renew and release the lease; keep a reaper running."""

    def __init__(
        self,
        path: Path,
        worker_label: str,
        *,
        renew_every_s: float = RENEW_EVERY_S,
        stale_after_s: float = STALE_AFTER_S,
        check_every_s: float = CHECK_EVERY_S,
    ) -> None:
        self.path = path
        self.worker_label = worker_label  # "io.rigpilot.worker=<id>"
        self.renew_every_s = renew_every_s
        self.stale_after_s = stale_after_s
        self.check_every_s = check_every_s
        self._renewed_at = -1e18
        self._reaper: subprocess.Popen[bytes] | None = None

    @property
    def pid_file(self) -> Path:
        return self.path.with_name(self.path.name + ".reaper.pid")

    @property
    def log_file(self) -> Path:
        return self.path.with_name(self.path.name + ".reaper.log")

    def renew(self, force: bool = False) -> None:
        """Touch the lease (at most every ``renew_every_s`` unless forced)."""
        now = time.monotonic()
        if not force and now - self._renewed_at < self.renew_every_s:
            return
        try:
            os.utime(self.path)
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps({"pid": os.getpid(), "label": self.worker_label}))
            os.replace(tmp, self.path)
        self._renewed_at = now

    def ensure_reaper(self) -> int:
        """Start the reaper unless ours is still running; returns its pid."""
        if self._reaper is not None and self._reaper.poll() is None:
            return self._reaper.pid
        self.renew(force=True)
        with open(self.log_file, "ab") as log:
            kwargs: dict[str, object] = {}
            if sys.platform == "win32":
                flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
                kwargs["creationflags"] = flags
            else:
                kwargs["start_new_session"] = True
            self._reaper = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
                reaper_command(self),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                close_fds=True,
                **kwargs,  # type: ignore[call-overload]
            )
        return self._reaper.pid

    def release(self) -> None:
        """Clean shutdown: the reaper sees the lease gone, reaps what is left and exits.
        (On Windows the reaper may be reading the lease at that moment; the delete waits.)"""
        unlink_when_free(self.path)
        if self._reaper is not None:
            try:
                self._reaper.wait(timeout=self.check_every_s * 3 + 10)
            except subprocess.TimeoutExpired:
                pass  # it keeps going on its own; nothing of ours depends on it


def reaper_command(lease: Lease) -> list[str]:
    """The reaper's argv. A frozen (PyInstaller) build must route ``-m`` itself."""
    return [
        sys.executable,
        "-m",
        "desktop.jobs.reaper",
        "--lease",
        str(lease.path),
        "--label",
        lease.worker_label,
        "--stale",
        str(lease.stale_after_s),
        "--every",
        str(lease.check_every_s),
    ]


def install_id(data_dir: Path) -> str:
    """A stable random id for this installation (RIGPILOT_HOME), kept in ``install-id``.

    It labels every container, so reconcile never touches the containers of another
    installation sharing the same Docker engine (side-by-side installs, parallel tests).
    """
    path = data_dir / "install-id"
    try:
        value = path.read_text().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(8)
    try:
        with open(path, "x") as out:
            out.write(value)
    except FileExistsError:
        return path.read_text().strip()
    return value
