"""Starting the worker in the background, for `rigpilot worker --detach` and auto-start,
and waiting until it answers (``ensure_worker_running``, ``wait_until_ready``).

This lives beside the client (not in ``desktop.worker``) because the desktop app starts
the worker too, and the app may import only the client side. The worker is a new
session (POSIX) or a detached process group (Windows), so closing the terminal or the
window does not take it down; its stray console output goes to its own file in the log
folder, the worker's real log being ``worker.log``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from desktop.ipc.client import WorkerClient, WorkerNotRunning
from desktop.ipc.schema import StatusAnswer
from desktop.paths import Paths, get_paths

log = logging.getLogger(__name__)
CONSOLE_LOG = "worker-console.log"
STOP_TIMEOUT_S = 30.0
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
    args: Sequence[str],
    paths: Paths,
    env: Mapping[str, str] | None = None,
    *,
    lifeline: bool = False,
) -> subprocess.Popen[bytes]:
    """Launch a detached worker and return at once (callers wait for the API to answer).

    With ``lifeline`` the worker's stdin is a pipe whose write end stays in this process
    (``process.stdin``): the worker stops when it is closed, or when this process dies.
    """
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
            worker_command([*args, "--lifeline"] if lifeline else args),
            stdin=subprocess.PIPE if lifeline else subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            close_fds=True,
            env=child_env,
            **options,  # type: ignore[call-overload]
        )
    finally:
        os.close(out)


def ensure_worker_running(
    args: Sequence[str] = (), *, paths: Paths | None = None, timeout: float = 10.0
) -> WorkerClient:
    """A client of a running worker, starting one in the background when none answers.

    ``args`` are extra ``rigpilot worker`` options (for example ``["--demo"]``). Used by
    the desktop app on start and by CLI commands that need a worker.
    """
    client = WorkerClient(paths or get_paths())
    try:
        client.status()
        return client
    except WorkerNotRunning:
        pass
    process = spawn_worker(list(args), client.paths)
    log.info("started RigPilot's worker in the background (pid %s)", process.pid)
    wait_until_ready(client, timeout=timeout, exited=process.poll)
    return client


def wait_until_ready(
    client: WorkerClient,
    *,
    timeout: float = 10.0,
    exited: Callable[[], int | None] | None = None,
) -> StatusAnswer:
    """Poll status until the worker answers; returns the status.

    ``exited`` is an optional callable returning the launched process's exit code (None
    while it runs), so a worker that dies at start is reported at once, not after timeout.
    """
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return client.status()
        except WorkerNotRunning:
            pass
        code = exited() if exited is not None else None
        if code is not None:
            # Another worker may have won a start race; then it answers soon.
            try:
                return client.status()
            except WorkerNotRunning:
                raise WorkerNotRunning(
                    f"RigPilot's worker stopped right after it started (exit code {code}); "
                    f"see {console_log_file(client.paths)} and `rigpilot logs`"
                ) from None
        if time.monotonic() >= deadline:
            raise WorkerNotRunning(
                f"RigPilot's worker did not answer within {timeout:g} s of starting; "
                f"see {console_log_file(client.paths)} and `rigpilot logs`"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def wait_gone(pid: int, timeout: float) -> bool:
    """True once process ``pid`` has ended (a zombie counts as ended)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def stop_worker_at(client: WorkerClient, timeout: float = STOP_TIMEOUT_S) -> bool:
    """Ask the worker ``client`` reaches to shut down and wait until its process is gone.

    True when none runs any more (or none was running)."""
    from desktop.ipc import endpoints

    try:
        pid = client.status().pid
        client.call(endpoints.SHUTDOWN)
    except WorkerNotRunning:
        return True
    return wait_gone(pid, timeout)


class OwnedWorker:
    """A worker that belongs to the process that started it (the demo app's).

    ``start`` stops whatever worker answers in ``paths`` first (one started by hand, or
    left by an older version), then starts one with a lifeline: it stops when ``stop`` is
    called, and also when this process dies without calling it (lifeline.py).
    """

    def __init__(self, args: Sequence[str], paths: Paths) -> None:
        self.args = list(args)
        self.paths = paths
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> WorkerClient:
        client = WorkerClient(self.paths)
        deadline = time.monotonic() + timeout
        while True:
            if not stop_worker_at(client):
                raise WorkerNotRunning(
                    f"another RigPilot worker in {self.paths.runtime_dir} would not stop"
                )
            process = spawn_worker(self.args, self.paths, lifeline=True)
            try:
                wait_until_ready(
                    client, timeout=max(deadline - time.monotonic(), 1.0), exited=process.poll
                )
            except WorkerNotRunning:
                _close_lifeline(process)
                if process.poll() is None or time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)  # the one we stopped still held its lock a moment: again
                continue
            if client.status().pid != process.pid:
                _close_lifeline(process)  # another one answered: not ours, stop it
                continue
            self.process = process
            return client

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Shut the worker down and wait for it (blocking: call it off the GUI thread)."""
        process, self.process = self.process, None
        if process is None:
            return
        _close_lifeline(process)  # end of its stdin: it shuts down the normal way
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning(
                "the demo's worker (pid %s) did not stop in %g s: killing it", process.pid, timeout
            )
            process.kill()
            process.wait()


def _close_lifeline(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None and not process.stdin.closed:
        try:
            process.stdin.close()
        except OSError:
            pass
