"""Starting the worker in the background, for `rigpilot worker --detach` and auto-start.

This lives beside the client (not in ``desktop.worker``) because the desktop app starts
the worker too, and the app may import only the client side. The worker is a new
session (POSIX) or a detached process group (Windows), so closing the terminal or the
window does not take it down; its stray console output goes to its own file in the log
folder, the worker's real log being ``worker.log``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from desktop.paths import Paths, get_paths

CONSOLE_LOG = "worker-console.log"
_CONSOLE_LOG_MAX = 1024 * 1024


def worker_command(args: Sequence[str]) -> list[str]:
    """The argv that runs ``rigpilot worker ARGS`` with this very installation."""
    if getattr(sys, "frozen", False):  # the PyInstaller executable dispatches on argv
        return [sys.executable, "worker", *args]
    return [sys.executable, "-m", "desktop", "worker", *args]


def console_log_file(paths: Paths) -> Path:
    return paths.log_dir / CONSOLE_LOG


def worker_env(paths: Paths, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment, with ``RIGPILOT_HOME`` pointing at ``paths``.

    The worker finds its folders from the environment, so a caller holding other paths than
    the environment's (a test, a side-by-side install) must say so through RIGPILOT_HOME.
    """
    result = dict(os.environ if env is None else env)
    if paths == get_paths():
        return result
    root = paths.config_dir.parent
    layout = Paths(root / "config", root / "data", root / "logs", root / "run")
    if paths != layout:
        raise ValueError(
            f"cannot start a worker for {paths}: only the default folders or a "
            "RIGPILOT_HOME layout (config, data, logs, run under one folder) can be passed on"
        )
    result["RIGPILOT_HOME"] = os.fspath(root)
    return result


def spawn_worker(
    args: Sequence[str], paths: Paths, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Launch a detached worker and return at once (callers wait for the API to answer)."""
    child_env = worker_env(paths, env)
    paths.ensure()
    console = console_log_file(paths)
    try:
        if console.stat().st_size > _CONSOLE_LOG_MAX:
            console.unlink()  # only start-up failures land here; keep it small
    except FileNotFoundError:
        pass
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    out = os.open(console, flags, 0o600)
    options: dict[str, object] = {}
    if sys.platform == "win32":
        detached = getattr(subprocess, "DETACHED_PROCESS", 0)
        group = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        options["creationflags"] = detached | group
    else:
        options["start_new_session"] = True
    try:
        return subprocess.Popen(
            worker_command(args),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            close_fds=True,
            env=child_env,
            **options,  # type: ignore[call-overload]
        )
    finally:
        os.close(out)
