"""Tray notifications for what a user wants to hear about, and never a flood of them.

Which events: guard trips (``guard.*``, not the all-clear), finished jobs, enrollment
results, worker errors (``worker.*`` at warning or worse, ``sensor.failure``, ``gpu.lost``).
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
QUIET_GUARD_SUFFIXES = (".resume", ".resumed", ".clear", ".cleared", ".run", ".ok", ".recovered")


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
    if kind.startswith("guard."):
        if kind.endswith(QUIET_GUARD_SUFFIXES):
            return None
        level = "error" if kind in ("guard.emergency", "guard.stop_for_day") else "warning"
        return "RigPilot protected your GPU", message, level
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

    def on_event(self, event: dict[str, Any]) -> None:
        now = time.time()
        ts = text.num(event.get("ts"))
        if ts is not None and now - ts > STALE_S:
            return
        found = notification_for(event)
        if found is None or not self.enabled:
            return
        title, message, level = found
        if self.limiter.allow(str(event.get("kind")), now):
            self.show(title, message, level)

    def show(self, title: str, message: str, level: str = "info", msecs: int = 8000) -> None:
        """Show a message now (no rate limit: for the app's own one-off notices)."""
        if self._tray.isVisible() and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage(title, message, _ICONS.get(level, _ICONS["info"]), msecs)
        self.notified.emit(title, message)
