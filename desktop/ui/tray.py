"""The tray icon: the rig's state at a glance, and pause or resume without opening anything.

The menu is rebuilt each time it opens (``aboutToShow``), from the last status the link
fetched, so it is never stale and costs nothing while closed. The icon's shape follows the
state (see ``icons``); the tooltip carries the headline, the temperature (the snapshot's
reading, as on the dashboard's card) and today's money, in the views' words.

Signals:
    open_requested(): "Open RigPilot" or a click on the icon.
    quit_requested(): "Quit".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop import clock
from desktop.ui import icons
from desktop.ui.controller import Controller
from desktop.ui.worker_link import WorkerLink
from desktop.views import money
from desktop.views.rig import Headline, RigState, network_name
from desktop.views.snapshot import Snapshot
from desktop.views.text import clock as clock_text
from desktop.views.text import plain, temp, until_tomorrow


def tooltip(headline: Headline, snapshot: Snapshot) -> str:
    """ "RigPilot / Earning on … / GPU 74 °C · today 0.25 EUR gross, 0.05 EUR electricity,
    0.20 EUR net": the same phrase as ``rigpilot status``."""
    lines = ["RigPilot", plain(headline.text)]
    status = snapshot.status
    if status is not None:
        today = money.today_line(status.earnings_today)
        lines.append(f"GPU {temp(snapshot.hottest())} · today {today}")
    return "\n".join(lines)


class Tray(QObject):
    open_requested = Signal()
    quit_requested = Signal()

    def __init__(
        self, controller: Controller, link: WorkerLink, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._link = link
        self.headline = Headline(RigState.IDLE, "Starting…")
        self.icon = QSystemTrayIcon(icons.state_icon(RigState.IDLE), self)
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.icon.setToolTip("RigPilot")
        self.rebuild_menu()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def show_state(self, headline: Headline, snapshot: Snapshot) -> None:
        if headline.state != self.headline.state:
            self.icon.setIcon(icons.state_icon(headline.state))
        self.headline = headline
        self.icon.setToolTip(tooltip(headline, snapshot))

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_requested.emit()

    def _add(self, title: str, slot: Any, enabled: bool = True) -> QAction:
        action = self.menu.addAction(title)
        action.triggered.connect(slot)
        action.setEnabled(enabled)
        return action

    def rebuild_menu(self) -> None:
        """Rebuild from the latest state (called each time the menu opens)."""
        self.menu.clear()
        connected = self._link.connected
        title = plain(self.headline.text)
        heading = self.menu.addAction(title if len(title) <= 60 else title[:59] + "…")
        heading.setEnabled(False)
        self.menu.addSeparator()
        paused_all = self._controller.paused_all
        if paused_all:
            self.pause_action = self._add("&Resume", self._controller.resume_all, connected)
        else:
            self.pause_action = self._add(
                "&Pause all", lambda: self._controller.pause_all(), connected
            )
        self._add("Pause for 1 &hour", lambda: self._controller.pause_for(3600), connected)
        until = until_tomorrow(clock.now())  # the time shown is the time sent
        self._add(
            f"Pause until &tomorrow ({clock_text(until, clock.now())})",
            lambda: self._controller.pause_all(until),
            connected,
        )
        self.menu.addSeparator()
        status = self._link.status
        enrolled = [n for n in status.networks if n.enrolled] if status is not None else []
        if enrolled:
            label = self.menu.addAction("Networks")
            label.setEnabled(False)
        for net in enrolled:
            action = self.menu.addAction(network_name(net))
            action.setCheckable(True)
            action.setChecked(net.held is None)
            # Under a pause of all work one network cannot resume alone: Resume first.
            action.setEnabled(connected and not paused_all)
            action.toggled.connect(
                lambda on, ident=net.network: self._controller.set_network_enabled(ident, on)
            )
        if not enrolled:
            self._add("No network set up yet", lambda: None, False)
        self.menu.addSeparator()
        self._add("&Open RigPilot", self.open_requested.emit)
        self._add("&Quit", self.quit_requested.emit)

    def action(self, starts_with: str) -> QAction | None:
        """The menu action whose text (without '&') starts with ``starts_with`` (for tests)."""
        for act in self.menu.actions():
            if act.text().replace("&", "").startswith(starts_with):
                return act
        return None
