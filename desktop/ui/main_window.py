"""The main window: status strip on top, then Dashboard / Jobs / Events tabs.

Closing the window hides it to the tray (the worker, and the app's tray icon, keep running);
only Quit ends the app. Keyboard: Ctrl+P pause/resume, Ctrl+W hide, Ctrl+Q quit, Alt+letter
for the tabs and buttons, Tab moves through the controls in reading order.

Signals:
    hidden_to_tray(): the user closed the window (the app shows a one-time notice).
    quit_requested(): Ctrl+Q or the File menu's Quit.
    first_painted(): the window has painted once (cold-start measurement).
    visibility_changed(bool): the dashboard is (not) on screen; the link polls accordingly.
    shown_changed(bool): the window is (not) on screen, whatever the tab.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__
from desktop.ui import icons
from desktop.ui.controller import Controller
from desktop.ui.dashboard.page import DashboardPage
from desktop.ui.dashboard.status_strip import StatusStrip
from desktop.ui.events_view import EventsView
from desktop.ui.jobs_view import JobsView
from desktop.ui.notice_panel import NoticePanel
from desktop.ui.theme import Theme
from desktop.ui.worker_link import WorkerLink
from desktop.views.notices import Notice

DEFAULT_SIZE = QSize(1280, 800)


class MainWindow(QMainWindow):
    hidden_to_tray = Signal()
    quit_requested = Signal()
    first_painted = Signal()
    visibility_changed = Signal(bool)
    shown_changed = Signal(bool)

    def __init__(self, link: WorkerLink, controller: Controller, theme: Theme) -> None:
        super().__init__()
        self._painted = False
        self.allow_close = False
        self.setWindowTitle("RigPilot")
        self.setWindowIcon(icons.app_icon())
        self.setMinimumSize(QSize(980, 660))
        self.resize(DEFAULT_SIZE)
        self.strip = StatusStrip()
        self.strip.pause_requested.connect(lambda: controller.pause_all())
        self.strip.resume_requested.connect(controller.resume_all)
        self.strip.start_worker_requested.connect(controller.start_worker)
        self.dashboard = DashboardPage(link, theme)
        self.notice = NoticePanel()
        # The first tab: the dashboard, or a notice in its place (no GPU, another worker).
        self.first_tab = QStackedWidget()
        self.first_tab.addWidget(self.dashboard)
        self.first_tab.addWidget(self.notice)
        self.jobs = JobsView(link)
        self.events = EventsView(theme)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setDrawBase(False)  # the theme draws one thin line instead
        self.tabs.addTab(self.first_tab, "&Dashboard")
        self.tabs.addTab(self.jobs, "&Jobs")
        self.tabs.addTab(self.events, "&Events")
        self.tabs.currentChanged.connect(lambda _i: self._report_visibility())
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(10)
        layout.addWidget(self.strip)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.setTabOrder(self.strip.pause_button, self.tabs)
        self._shortcut("Ctrl+P", controller.toggle_pause)
        self._shortcut("Ctrl+W", self.hide_to_tray)
        self._shortcut("Ctrl+Q", self.quit_requested.emit)
        self.installEventFilter(self)
        self.footer = QLabel(f"RigPilot {__version__}")
        self.footer.setObjectName("muted")
        self.statusBar().addWidget(self.footer)

    def _shortcut(self, keys: str, slot: Any) -> None:
        shortcut = QShortcut(QKeySequence(keys), self)
        shortcut.activated.connect(slot)

    # --- show, hide, close -----------------------------------------------------------

    def bring_to_front(self) -> None:
        """Show the window (from the tray or a second launch) and give it focus."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def hide_to_tray(self) -> None:
        self.hide()
        self.hidden_to_tray.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.allow_close:
            event.accept()
            return
        event.ignore()
        self.hide_to_tray()

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self._report_visibility()

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        super().hideEvent(event)
        self._report_visibility()

    def _report_visibility(self) -> None:
        on_screen = self.isVisible() and not self.isMinimized()
        self.shown_changed.emit(on_screen)
        charts = self.first_tab.currentWidget() is self.dashboard
        self.visibility_changed.emit(
            on_screen and charts and self.tabs.currentWidget() is self.first_tab
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self._painted and watched is self and event.type() == QEvent.Type.Paint:
            self._painted = True
            QTimer.singleShot(0, self.first_painted.emit)
        return super().eventFilter(watched, event)

    def show_notice(self, notice: Notice | None) -> None:
        """Put ``notice`` in the dashboard's place, or the dashboard back with None."""
        if notice is not None:
            self.notice.show_notice(notice)
        self.first_tab.setCurrentWidget(self.notice if notice is not None else self.dashboard)
        self._report_visibility()

    @property
    def notice_shown(self) -> Notice | None:
        return self.notice.notice if self.first_tab.currentWidget() is self.notice else None

    def set_footer(self, text: str) -> None:
        """The permanent line under the tabs: app version and what the worker runs on."""
        self.footer.setText(
            f"RigPilot {__version__} · {text}" if text else f"RigPilot {__version__}"
        )

    def apply_theme(self, theme: Theme) -> None:
        self.dashboard.apply_theme(theme)
        self.events.apply_theme(theme)
