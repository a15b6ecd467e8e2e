"""The user's commands (pause, resume, network toggles, stop or start the worker).

The window, the tray and the shortcuts all call this one object, so a pause from the tray
and one from Ctrl+P behave identically: one API call in the background, then an immediate
status refresh so every view shows the result within a second.

Signals:
    command_failed(str): a command was refused or the worker is gone; the text says why.
    worker_started(object): a worker was started (or found) and answers; carries the client.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.ui import tasks
from desktop.ui.worker_link import WorkerLink

WorkerStarter = Callable[[], Any]


class Controller(QObject):
    command_failed = Signal(str)
    worker_started = Signal(object)

    def __init__(
        self, link: WorkerLink, starter: WorkerStarter, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._link = link
        self._starter = starter
        self.starting = False

    @property
    def paused_all(self) -> bool:
        return bool(((self._link.status or {}).get("paused") or {}).get("all"))

    def _post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        after: Callable[[Any], None] | None = None,
    ) -> None:
        def done(result: Any) -> None:
            self._link.refresh_status()
            if after is not None:
                after(result)

        self._link.call("POST", path, json=body or {}, on_done=done, on_error=self._failed)

    def _failed(self, exc: Exception) -> None:
        self.command_failed.emit(str(getattr(exc, "message", "") or exc))

    def pause_all(self, until_ts: float | None = None) -> None:
        body: dict[str, Any] = {"scope": "all"}
        if until_ts is not None:
            body["until_ts"] = until_ts
        self._post("/pause", body)

    def pause_for(self, seconds: float) -> None:
        self.pause_all(time.time() + seconds)

    def resume_all(self) -> None:
        self._post("/resume", {"scope": "all"})

    def toggle_pause(self) -> None:
        """Ctrl+P and the strip's button: resume when paused, else pause everything."""
        if self.paused_all:
            self.resume_all()
        else:
            self.pause_all()

    def set_network_enabled(self, network: str, enabled: bool) -> None:
        action = "resume" if enabled else "pause"
        self._post(f"/networks/{network}/{action}", after=lambda _r: self._link.refresh_networks())

    def stop_worker(self, after: Callable[[], None]) -> None:
        """Ask the worker to shut down, then call ``after`` whatever the answer."""
        self._link.call(
            "POST", "/shutdown", json={}, on_done=lambda _r: after(), on_error=lambda _e: after()
        )

    def start_worker(self) -> None:
        """Start a worker (or find the running one) off the GUI thread."""
        if self.starting:
            return
        self.starting = True

        def done(client: Any) -> None:
            self.starting = False
            self.worker_started.emit(client)

        def failed(exc: Exception) -> None:
            self.starting = False
            self.command_failed.emit(f"The worker could not start: {exc}")

        tasks.run_in_background(self._starter, done, failed)
