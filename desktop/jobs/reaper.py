"""The reaper: stops a dead worker's job containers. ``python -m desktop.jobs.reaper``.

Started by the worker (desktop/jobs/lease.py explains the mechanism) in its own session so
that it survives the worker. It watches one lease file and, once the worker is gone,
stops and removes the containers carrying the worker's label, then exits.

    python -m desktop.jobs.reaper --lease FILE --label io.rigpilot.worker=<id>
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psutil

from desktop.jobs.docker_runner import connect, reap
from desktop.jobs.lease import CHECK_EVERY_S, STALE_AFTER_S, LeaseWatch, read_lease
from desktop.model import MANAGED_SELECTOR

GIVE_UP_AFTER_S = 60.0  # keep retrying an unreachable engine this long, then exit


def worker_alive(pid: int | None) -> bool:
    """True unless we know the worker's process is gone (a zombie counts as gone)."""
    if pid is None:
        return True
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} reaper[{os.getpid()}]: {message}", flush=True)


def watch(lease_path: Path, stale_after_s: float, every_s: float) -> None:
    """Block until the worker is gone (lease released, pid dead, or lease stale)."""
    watcher = LeaseWatch(stale_after_s)
    while True:
        lease = read_lease(lease_path)
        alive = worker_alive(lease.worker_pid if lease else None)
        if watcher.should_reap(lease, alive, time.monotonic()):
            reason = "released" if lease is None else ("worker gone" if not alive else "stale")
            _log(f"lease {reason}: stopping the worker's containers")
            return
        time.sleep(every_s)


def reap_now(labels: list[str]) -> int:
    """Stop and remove the labelled containers; retry a down engine for a while."""
    deadline = time.monotonic() + GIVE_UP_AFTER_S
    while True:
        try:
            removed = reap(connect(), labels)
            _log(f"removed {len(removed)} container(s)")
            return 0
        except Exception as exc:  # engine down, socket error, API error: all retried
            if time.monotonic() > deadline:
                _log(f"giving up: {exc}")
                return 1
            time.sleep(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop.jobs.reaper")
    parser.add_argument("--lease", required=True, type=Path)
    parser.add_argument("--label", required=True, help="io.rigpilot.worker=<id>")
    parser.add_argument("--stale", type=float, default=STALE_AFTER_S)
    parser.add_argument("--every", type=float, default=CHECK_EVERY_S)
    args = parser.parse_args(argv)
    if not args.label.startswith("io.rigpilot.worker=") or args.label.endswith("="):
        parser.error("--label must be io.rigpilot.worker=<worker id>")
    pid_file = args.lease.with_name(args.lease.name + ".reaper.pid")
    pid_file.write_text(str(os.getpid()))
    try:
        watch(args.lease, args.stale, args.every)
        return reap_now([MANAGED_SELECTOR, args.label])
    finally:
        pid_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
