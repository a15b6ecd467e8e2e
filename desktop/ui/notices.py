"""What the first tab shows when the dashboard has nothing to show, and its buttons.

- No usable NVIDIA GPU on this computer (the real app's worker has none): the notice says
  why with the fix, and "Try the demo" opens ``rigpilot --demo`` (its own process, window
  and worker); once the demo answers, this app closes and stops its worker, which had
  nothing to watch.
- A demo or simulated worker answers where this computer's should (``OtherWorker``):
  the notice says so, and "Stop it and start RigPilot" stops it and starts the real one.
  The same holds when such a worker appears later under a running app (the real one was
  stopped and a simulated one started by hand): the app stops showing it.

Signals:
    demo_opened(): the demo answered (this app then quits).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop.ipc.schema import StatusAnswer
from desktop.paths import Paths, demo_paths
from desktop.ui import tasks
from desktop.ui.controller import Controller
from desktop.ui.main_window import MainWindow
from desktop.ui.worker_link import WorkerLink
from desktop.ui.worker_start import LocalWorker, OtherWorker, launch_demo
from desktop.views import notices

log = logging.getLogger(__name__)
DEMO_START_TIMEOUT_S = 60.0


class Notices(QObject):
    demo_opened = Signal()

    def __init__(
        self,
        window: MainWindow,
        link: WorkerLink,
        controller: Controller,
        local: LocalWorker,
        base: Paths,
        quit_app: Callable[[bool], None],
        remote_shown: Callable[[], bool],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.link = link
        self.controller = controller
        self.local = local
        self.base = base  # the installation's folders (the demo's are inside)
        self.quit_app = quit_app
        self.remote_shown = remote_shown
        self.other: OtherWorker | None = None
        self.demo_launching = False
        window.notice.action_requested.connect(self.on_action)
        controller.other_worker.connect(self.on_other_worker)
        controller.worker_started.connect(lambda _c: self._other_gone())
        link.status_changed.connect(self.on_status)

    # --- what to show -----------------------------------------------------------------

    def on_status(self, status: StatusAnswer) -> None:
        if self.remote_shown():
            self.window.show_notice(None)  # a rig's worker is what it is: show it
            return
        if not self.local.options.adopts(status.mode):
            self._refuse(status)
            return
        if self.other is None:
            self.window.show_notice(notices.no_gpu(status))

    def _refuse(self, status: StatusAnswer) -> None:
        """Another kind of worker took this computer's place under the running app."""
        from desktop.ipc.client import WorkerClient

        self.link.stop()
        self.window.dashboard.clear()
        self.on_other_worker(OtherWorker(status, WorkerClient(self.local.paths)))

    def on_other_worker(self, other: OtherWorker) -> None:
        self.other = other
        self.window.show_notice(notices.other_worker(other.status))

    def _other_gone(self) -> None:
        if self.other is not None:
            self.other = None
            self.window.show_notice(None)

    # --- the buttons ------------------------------------------------------------------

    def on_action(self, key: str) -> None:
        if key == notices.NO_GPU:
            self.try_demo()
        elif key == notices.OTHER_WORKER and self.other is not None:
            other = self.other
            self.window.notice.set_busy("Stopping it and starting RigPilot's worker…")
            self.controller.start_worker(lambda: self.local.stop_other(other))

    def try_demo(self) -> None:
        """Open the demo; once it answers, close this app (see the module docstring)."""
        if self.demo_launching:
            return
        self.demo_launching = True
        self.window.notice.set_busy("Opening the demo…")
        base = self.base

        def wait_for_demo() -> None:
            from desktop.ipc.client import WorkerClient
            from desktop.ipc.launch import wait_until_ready

            process = launch_demo(base)
            client = WorkerClient(demo_paths(base))
            try:
                wait_until_ready(client, timeout=DEMO_START_TIMEOUT_S, exited=process.poll)
            finally:
                client.close()

        tasks.run_in_background(wait_for_demo, self._on_demo_open, self._on_demo_failed)

    def _on_demo_open(self, _result: object) -> None:
        self.demo_launching = False
        self.demo_opened.emit()
        no_gpu_here = self.window.notice_shown is not None
        if no_gpu_here:
            self.quit_app(True)  # nothing to watch here: the demo takes over

    def _on_demo_failed(self, exc: Exception) -> None:
        self.demo_launching = False
        message = str(getattr(exc, "message", "") or exc)
        log.error("the demo did not open: %s", message)
        self.window.notice.set_busy("")
        self.window.statusBar().showMessage(f"The demo did not open: {message}", 15_000)
