"""The tray icon: the rig's state at a glance, and pause or resume without opening anything.

The menu is rebuilt each time it opens (``aboutToShow``), from the last status and network
list the link fetched, so it is never stale and costs nothing while closed. The icon's shape
follows the state (see ``icons``); the tooltip carries the temperature and today's money.

Signals:
    open_requested(): "Open RigPilot" or a click on the icon.
    quit_requested(): "Quit".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop.ui import icons, text
from desktop.ui.controller import Controller
from desktop.ui.dashboard.series import today_money
from desktop.ui.rig_state import Headline, RigState, hottest_temp, network_list, network_name
from desktop.ui.worker_link import WorkerLink

PAUSE_UNTIL_HOUR = 7


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

    def show_state(self, headline: Headline, status: dict[str, Any] | None) -> None:
        if headline.state != self.headline.state:
            self.icon.setIcon(icons.state_icon(headline.state))
        self.headline = headline
        lines = ["RigPilot", headline.text]
        if status:
            t = hottest_temp(status)
            gross, net = today_money(status)
            today = f"today {text.usd(gross or 0.0)}"
            if net is not None:
                today += f" ({text.usd(net)} net)"
            lines.append(f"GPU {text.temp(t)} · {today}")
        self.icon.setToolTip("\n".join(lines))

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
        status = self._link.status or {}
        title = self.headline.text
        heading = self.menu.addAction(title if len(title) <= 60 else title[:59] + "…")
        heading.setEnabled(False)
        self.menu.addSeparator()
        if self._controller.paused_all:
            self.pause_action = self._add("&Resume", self._controller.resume_all, connected)
        else:
            self.pause_action = self._add(
                "&Pause all", lambda: self._controller.pause_all(), connected
            )
        self._add("Pause for 1 &hour", lambda: self._controller.pause_for(3600), connected)
        until = text.tomorrow_at(PAUSE_UNTIL_HOUR)
        self._add(
            f"Pause until &tomorrow ({text.clock(until)})",
            lambda: self._controller.pause_all(until),
            connected,
        )
        self.menu.addSeparator()
        networks = self._link.networks or network_list(status)
        enrolled = [n for n in networks if n.get("enrolled", True)]
        if enrolled:
            label = self.menu.addAction("Networks")
            label.setEnabled(False)
        for net in enrolled:
            ident = str(net.get("network"))
            action = self.menu.addAction(network_name(net))
            action.setCheckable(True)
            action.setChecked(not (net.get("paused") or net.get("state") == "paused"))
            action.setEnabled(connected)
            action.toggled.connect(
                lambda on, ident=ident: self._controller.set_network_enabled(ident, on)
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
