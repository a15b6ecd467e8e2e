"""Did the last run of the worker end cleanly? A marker file says so across a crash.

Why a file in the data folder: the worker lock (desktop/worker/lock.py) dies with the
process, which is what makes it safe, and so it cannot tell afterwards how the process
ended; the runtime folder is emptied by a reboot, which is exactly when a power cut should
be noticed. The marker is written when the worker has started and removed when it stops
cleanly; finding it at the next start means the previous run died (a crash, ``kill -9``,
the OOM killer, a power cut).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from desktop.atomic import atomic_write

log = logging.getLogger(__name__)

FILE_NAME = "worker.running"


@dataclass(frozen=True)
class PreviousRun:
    """What the marker of a run that did not stop cleanly says."""

    pid: int | None
    started_ts: float | None


def unclean_previous_run(data_dir: Path) -> PreviousRun | None:
    """The previous run, when it did not stop cleanly; None after a clean stop."""
    path = data_dir / FILE_NAME
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("run marker: cannot read %s (%s)", path, exc)
        return None
    try:
        data = json.loads(raw)
        pid = data.get("pid")
        started = data.get("started_ts")
        return PreviousRun(
            pid if isinstance(pid, int) else None,
            float(started) if isinstance(started, int | float) else None,
        )
    except (ValueError, AttributeError):  # a marker cut short by the crash itself
        return PreviousRun(None, None)


def mark_running(data_dir: Path, started_ts: float) -> None:
    text = json.dumps({"pid": os.getpid(), "started_ts": started_ts})
    atomic_write(data_dir / FILE_NAME, text.encode("utf-8"), keep_prev=False)


def mark_stopped(data_dir: Path) -> None:
    try:
        (data_dir / FILE_NAME).unlink()
    except FileNotFoundError:
        pass
