"""Plugs the Networks, Money and Settings pages and the setup wizard into the main window.

The main window belongs to the app shell; this module only uses what it exposes (its
``tabs`` QTabWidget), so the shell needs one call::

    pages.install_pages(self.window, WorkerClient(self.paths), self.prefs)

which adds the two tabs, a "Setup wizard…" button in the tab bar's corner (and the
Ctrl+Shift+S shortcut), and opens the wizard by itself on the very first start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QTabWidget, QToolButton

from desktop.ipc.client import WorkerClient
from desktop.ipc.endpoints import Caller
from desktop.ui.money_page import MoneyPage
from desktop.ui.networks_page import NetworksPage
from desktop.ui.settings_page import SettingsPage
from desktop.ui.wizard import WizardDialog, open_wizard

FIRST_RUN_KEY = "setup/wizard_shown"


@dataclass
class InstalledPages:
    """What ``install_pages`` added, for the shell and the tests."""

    window: QMainWindow
    client: Caller
    networks: NetworksPage
    settings: SettingsPage
    wizard_action: QAction
    money: MoneyPage | None = field(default=None)
    wizard: WizardDialog | None = field(default=None)
    try_demo: Callable[[], None] | None = None  # the app's "Try the demo" (ui.notices)

    def _try_demo(self) -> None:
        if self.wizard is not None:
            self.wizard.reject()  # the demo opens in its own window
        if self.try_demo is not None:
            self.try_demo()

    def open_wizard(self) -> WizardDialog:
        """Open the setup wizard (or raise the one already open)."""
        if self.wizard is not None and self.wizard.isVisible():
            self.wizard.raise_()
            self.wizard.activateWindow()
            return self.wizard
        self.wizard = open_wizard(self.window, self.client)
        self.wizard.finished.connect(lambda _r: self.networks.refresh())
        self.wizard.demo_requested.connect(self._try_demo)
        self.wizard.checked.connect(self.networks.set_checks)
        return self.wizard


def install_pages(
    window: QMainWindow,
    client: Caller | None = None,
    prefs: QSettings | None = None,
) -> InstalledPages:
    """Add the Networks and Settings tabs and the wizard entry point to ``window``.

    ``prefs`` (the app's QSettings): when given, the wizard opens once on the first start.
    """
    api = client if client is not None else WorkerClient.from_env()
    tabs = getattr(window, "tabs", None)
    if not isinstance(tabs, QTabWidget):
        raise TypeError("install_pages needs a main window with a `tabs` QTabWidget")
    networks = NetworksPage(api)
    settings = SettingsPage(api)
    money = MoneyPage(api)
    tabs.addTab(networks, "&Networks")
    tabs.addTab(money, "Mone&y")
    tabs.addTab(settings, "Se&ttings")
    action = QAction("Setup wizard…", window)
    action.setShortcut(QKeySequence("Ctrl+Shift+S"))
    action.setToolTip("Check this computer and set up networks again (Ctrl+Shift+S)")
    window.addAction(action)
    installed = InstalledPages(window, api, networks, settings, action, money)
    networks.demo_requested.connect(installed._try_demo)
    action.triggered.connect(installed.open_wizard)
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setAutoRaise(True)
    tabs.setCornerWidget(button, Qt.Corner.TopRightCorner)
    if prefs is not None and not prefs.value(FIRST_RUN_KEY, False, bool):
        prefs.setValue(FIRST_RUN_KEY, True)
        prefs.sync()
        QTimer.singleShot(0, installed.open_wizard)
    return installed
