"""The user's commands (pause, resume, network toggles, stop or start the worker).

The window, the tray and the shortcuts all call this one object, so a pause from the tray
and one from Ctrl+P behave identically: one typed API call in the background, then an
immediate status refresh so every view shows the result within a second. A network is
paused like everything else, with ``POST /pause`` of scope "network".

Signals:
    command_failed(str): a command was refused or the worker is gone; the text says why.
    worker_started(object): a worker was started (or found) and answers; carries the client.
    other_worker(object): the worker that answers is not one this app shows (a demo one for
        the real app); carries ``worker_start.OtherWorker``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop import clock
from desktop.ipc import endpoints
from desktop.ipc.schema import HoldsAnswer, PauseRequest, PauseScope, ResumeRequest
from desktop.ui import tasks
from desktop.ui.worker_link import WorkerLink
from desktop.ui.worker_start import OtherWorker

WorkerStarter = Callable[[], Any]


class Controller(QObject):
    command_failed = Signal(str)
    worker_started = Signal(object)
    other_worker = Signal(object)

    def __init__(
        self, link: WorkerLink, starter: WorkerStarter, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._link = link
        self._starter = starter
        self.starting = False

    @property
    def paused_all(self) -> bool:
        """The user holds all work (the strip's button then says Resume)."""
        status = self._link.status
        return status is not None and any(h.scope == PauseScope.ALL for h in status.user_holds)

    def _done(self, after: Callable[[], None] | None = None) -> Callable[[HoldsAnswer], None]:
        def done(_answer: HoldsAnswer) -> None:
            self._link.refresh_status()
            if after is not None:
                after()

        return done

    def _failed(self, exc: Exception) -> None:
        self.command_failed.emit(str(getattr(exc, "message", "") or exc))

    def pause_all(self, until_ts: float | None = None) -> None:
        request = PauseRequest(scope=PauseScope.ALL, until_ts=until_ts)
        self._link.call(endpoints.PAUSE, request, self._done(), self._failed)

    def pause_for(self, seconds: float) -> None:
        self.pause_all(clock.now() + seconds)

    def resume_all(self) -> None:
        self._link.call(endpoints.RESUME, ResumeRequest(), self._done(), self._failed)

    def toggle_pause(self) -> None:
        """Ctrl+P and the strip's button: resume when paused, else pause everything."""
        if self.paused_all:
            self.resume_all()
        else:
            self.pause_all()

    def set_network_enabled(self, network: str, enabled: bool) -> None:
        """Resume one network, or pause it (kept across worker restarts)."""
        done = self._done(self._link.refresh_networks)
        if enabled:
            request = ResumeRequest(scope=PauseScope.NETWORK, network=network)
            self._link.call(endpoints.RESUME, request, done, self._failed)
        else:
            paused = PauseRequest(scope=PauseScope.NETWORK, network=network)
            self._link.call(endpoints.PAUSE, paused, done, self._failed)

    def stop_worker(self, after: Callable[[], None]) -> None:
        """Ask the worker to shut down, then call ``after`` whatever the answer."""
        self._link.call(
            endpoints.SHUTDOWN, None, on_done=lambda _r: after(), on_error=lambda _e: after()
        )

    def start_worker(self, starter: WorkerStarter | None = None) -> None:
        """Start a worker (or find the running one) off the GUI thread; ``starter``
        replaces the usual one for once (e.g. stop another worker first)."""
        if self.starting:
            return
        self.starting = True

        def done(client: Any) -> None:
            self.starting = False
            self.worker_started.emit(client)

        def failed(exc: Exception) -> None:
            self.starting = False
            if isinstance(exc, OtherWorker):
                self.other_worker.emit(exc)
                return
            self.command_failed.emit(f"The worker could not start: {exc}")

        tasks.run_in_background(starter or self._starter, done, failed)
