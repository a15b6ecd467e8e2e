"""How the app gets this computer's worker, and which worker it will show.

- The real app (``rigpilot``) finds the worker of this installation or starts one, and
  shows it only if it watches real GPUs: a demo or simulated worker left running (by hand,
  or by an older version) would show a GPU that is not there, so ``start`` raises
  ``OtherWorker`` and the window says so and offers to stop it (``stop_other``).
- The demo (``rigpilot --demo``) lives in its own folders (``paths.demo_paths``) and owns
  its worker (``ipc.launch.OwnedWorker``): it stops when the demo quits, and also when the
  demo is killed, so it can never outlive the demo nor be found by the real app.
- ``--simulate`` (developers) shows simulated or demo workers.

Blocking calls: the app runs ``start`` and ``stop_other`` on a pool thread (ui.tasks).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from desktop.ipc.schema import StatusAnswer
from desktop.paths import Paths, demo_paths
from desktop.ui.options import AppOptions

if TYPE_CHECKING:  # httpx is imported after the first paint, not before
    from desktop.ipc.client import WorkerClient

log = logging.getLogger(__name__)


class OtherWorker(Exception):
    """The worker that answers is not one this app shows (a demo one, for the real app)."""

    def __init__(self, status: StatusAnswer, client: WorkerClient) -> None:
        super().__init__(f"a {status.mode} worker (pid {status.pid}) is running")
        self.status = status
        self.client = client


def paths_for(options: AppOptions, base: Paths) -> Paths:
    """The folders this app uses: the demo's own for ``--demo``, else the installation's."""
    return demo_paths(base) if options.demo else base


class LocalWorker:
    """This computer's worker as the app sees it (see the module docstring)."""

    def __init__(self, options: AppOptions, paths: Paths) -> None:
        from desktop.ipc.launch import OwnedWorker

        self.options = options
        self.paths = paths
        self.owned = OwnedWorker(options.worker_args(), paths) if options.demo else None

    def start(self) -> WorkerClient:
        """A client of a worker this app shows; starts one when none answers."""
        if self.owned is not None:
            return self.owned.start()
        from desktop.ipc.launch import ensure_worker_running

        client = ensure_worker_running(self.options.worker_args(), paths=self.paths)
        status = client.status()
        if not self.options.adopts(status.mode):
            raise OtherWorker(status, client)
        return client

    def stop_other(self, other: OtherWorker) -> WorkerClient:
        """Stop the worker the app does not show, then start this app's own."""
        from desktop.ipc.client import WorkerNotRunning
        from desktop.ipc.launch import stop_worker_at

        if not stop_worker_at(other.client):
            raise WorkerNotRunning(
                f"the {other.status.mode} worker (pid {other.status.pid}) did not stop; "
                f"stop it with: rigpilot worker stop"
            )
        log.info(
            "stopped a %s worker (pid %s) to start this computer's",
            other.status.mode,
            other.status.pid,
        )
        return self.start()

    def stop_owned(self) -> None:
        """The demo quits: its worker stops with it (blocking)."""
        if self.owned is not None:
            self.owned.stop()


def launch_demo(base: Paths) -> subprocess.Popen[bytes]:
    """Start ``rigpilot --demo`` as a process of its own (its own window, tray icon and
    worker, in its own folders), and return at once. Its console output, if any, goes to
    ``app-console.log`` in the demo's log folder."""
    frozen = getattr(sys, "frozen", False)
    argv = [sys.executable, "--demo"] if frozen else [sys.executable, "-m", "desktop", "--demo"]
    options: dict[str, object] = {}
    if sys.platform != "win32":
        options["start_new_session"] = True  # closing this app must not take the demo down
    logs = demo_paths(base).ensure().log_dir
    out = os.open(logs / "app-console.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            close_fds=True,
            **options,  # type: ignore[call-overload]
        )
    finally:
        os.close(out)
