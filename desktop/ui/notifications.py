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

import time
from collections import deque
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from desktop.ui import text

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


def notification_for(event: dict[str, Any]) -> tuple[str, str, str] | None:
    """(title, message, level) for an event worth a notification, else None."""
    kind = str(event.get("kind") or "")
    severity = str(event.get("severity") or "info")
    message = str(event.get("message") or "")
    data = event.get("data") or {}
    if kind in GUARD_TRIPS:
        if data.get("source") not in (None, "thermal"):
            return None  # the user's own pause, or a game: they know already
        level = "error" if kind in SEVERE_GUARD else "warning"
        return "RigPilot protected your GPU", message, level
    if kind == "guard.error" and severity in ("warning", "error", "critical"):
        return "RigPilot's guard", message, "error"
    if kind == "job.finished":
        pay = data.get("pay")
        earned = f" It earned {text.money(pay)}." if isinstance(pay, dict) else ""
        return "Job finished", (message + earned).strip(), "info"
    if kind == "network.enrolled":
        return "Network ready", message, "info"
    if kind == "network.enroll_failed":
        fix = data.get("fix") or data.get("next_step") or ""
        return "Enrollment failed", f"{message} {fix}".strip(), "error"
    if kind in ("sensor.failure", "gpu.lost"):
        return "GPU problem", message, "error"
    if kind.startswith("worker.") and severity in ("warning", "error", "critical"):
        fix = data.get("fix") or ""
        return "RigPilot worker", f"{message} {fix}".strip(), "error"
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
        self._limits: dict[Any, float] = {}  # last power limit the guard set, per GPU

    def on_event(self, event: dict[str, Any]) -> None:
        now = time.time()
        ts = text.num(event.get("ts"))
        if ts is not None and now - ts > STALE_S:
            return
        found = notification_for(event)
        if found is None or not self.enabled or not self._lowered(event):
            return
        title, message, level = found
        if self.limiter.allow(str(event.get("kind")), now):
            self.show(title, message, level)

    def _lowered(self, event: dict[str, Any]) -> bool:
        """A power-limit change is news when it goes down; raising it again is the all-clear."""
        if event.get("kind") != "guard.set_power_limit":
            return True
        limit = text.num((event.get("data") or {}).get("power_limit_w"))
        if limit is None:
            return True
        gpu = event.get("gpu_index")
        before = self._limits.get(gpu, float("inf"))
        self._limits[gpu] = limit
        return limit < before

    def show(self, title: str, message: str, level: str = "info", msecs: int = 8000) -> None:
        """Show a message now (no rate limit: for the app's own one-off notices)."""
        if self._tray.isVisible() and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage(title, message, _ICONS.get(level, _ICONS["info"]), msecs)
        self.notified.emit(title, message)
