"""Tray notifications for what a user wants to hear about, and never a flood of them.

Which events: thermal guard trips (a lowered power limit, a duty cycle, a pause or stop, an
emergency; not the all-clear, and not a pause the user or a game caused), finished jobs,
enrollment results, worker errors (``worker.*`` and ``guard.error`` at warning or worse,
``sensor.failure``, ``gpu.lost``).
How often: at most one per kind a minute and five in ten minutes (a flapping sensor must
not bury a gamer's screen in balloons); events older than a minute are history, not news.

Signals:
    notified(str, str): a notification was shown (title, message); tests and logs use it.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from desktop import clock
from desktop.ipc.codec import event_data
from desktop.ipc.schema_data import FixData, GuardData
from desktop.model import Event, Severity
from desktop.views.text import plain

PER_KIND_S = 60.0
WINDOW_S = 600.0
WINDOW_MAX = 5
STALE_S = 60.0
GUARD_TRIPS = {
    "guard.set_power_limit",
    "guard.duty_cycle",
    "guard.pause",
    "guard.stop",
    "guard.kill",
    "guard.emergency",
    "guard.stop_for_day",
}
SEVERE_GUARD = ("guard.kill", "guard.emergency", "guard.stop_for_day")


class RateLimiter:
    """Allows one message per kind per ``per_kind_s`` and ``window_max`` per ``window_s``."""

    def __init__(
        self,
        per_kind_s: float = PER_KIND_S,
        window_s: float = WINDOW_S,
        window_max: int = WINDOW_MAX,
    ) -> None:
        self.per_kind_s = per_kind_s
        self.window_s = window_s
        self.window_max = window_max
        self._last: dict[str, float] = {}
        self._recent: deque[float] = deque()

    def allow(self, kind: str, now: float) -> bool:
        while self._recent and now - self._recent[0] >= self.window_s:
            self._recent.popleft()
        last = self._last.get(kind)
        if last is not None and now - last < self.per_kind_s:
            return False
        if len(self._recent) >= self.window_max:
            return False
        self._last[kind] = now
        self._recent.append(now)
        return True


WARNING_OR_WORSE = (Severity.WARNING, Severity.ERROR, Severity.CRITICAL)


def _fix(event: Event) -> str:
    data = event_data(event, FixData)
    return (data.fix or data.next_step) if data is not None else ""


def notification_for(event: Event) -> tuple[str, str, str] | None:
    """(title, message, level) for an event worth a notification, else None."""
    kind, message = event.kind, event.message
    if kind in GUARD_TRIPS:
        guard = event_data(event, GuardData)
        if guard is not None and guard.source != "thermal":
            return None  # the user's own pause, or a game: they know already
        level = "error" if kind in SEVERE_GUARD else "warning"
        return "RigPilot protected your GPU", message, level
    if kind == "guard.error" and event.severity in WARNING_OR_WORSE:
        return "RigPilot's guard", message, "error"
    if kind == "job.finished":
        return "Job finished", message, "info"
    if kind == "network.enrolled":
        return "Network ready", message, "info"
    if kind == "network.enroll_failed":
        return "Enrollment failed", f"{message} {_fix(event)}".strip(), "error"
    if kind in ("sensor.failure", "gpu.lost"):
        return "GPU problem", message, "error"
    if kind.startswith("worker.") and event.severity in WARNING_OR_WORSE:
        return "RigPilot worker", f"{message} {_fix(event)}".strip(), "error"
    return None


_ICONS = {
    "info": QSystemTrayIcon.MessageIcon.Information,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
    "error": QSystemTrayIcon.MessageIcon.Critical,
}


class Notifier(QObject):
    """Shows rate-limited notifications through the tray icon."""

    notified = Signal(str, str)

    def __init__(self, tray: QSystemTrayIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray = tray
        self.limiter = RateLimiter()
        self.enabled = True
        self._limits: dict[int | None, float] = {}  # last power limit the guard set, per GPU

    def on_event(self, event: Event) -> None:
        now = clock.now()
        if now - event.ts > STALE_S:
            return
        found = notification_for(event)
        if found is None or not self.enabled or not self._lowered(event):
            return
        title, message, level = found
        if self.limiter.allow(event.kind, now):
            self.show(title, message, level)

    def _lowered(self, event: Event) -> bool:
        """A power-limit change is news when it goes down; raising it again is the all-clear."""
        if event.kind != "guard.set_power_limit":
            return True
        guard = event_data(event, GuardData)
        if guard is None or guard.power_limit_w is None:
            return True
        before = self._limits.get(event.gpu_index, float("inf"))
        self._limits[event.gpu_index] = guard.power_limit_w
        return guard.power_limit_w < before

    def show(self, title: str, message: str, level: str = "info", msecs: int = 8000) -> None:
        """Show a message now (no rate limit: for the app's own one-off notices)."""
        message = plain(message)
        if self._tray.isVisible() and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage(title, message, _ICONS.get(level, _ICONS["info"]), msecs)
        self.notified.emit(title, message)
