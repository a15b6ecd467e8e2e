"""The app's composition root: `rigpilot` / `rigpilot --demo` open the window and the tray.

Start-up order matters for a snappy first paint (< 2 s on a 2-core machine): one-instance
check, window and tray on screen, and only then the worker is found or started in the
background; the window says "Starting the RigPilot worker…" meanwhile instead of freezing.
With ``--connect user@host`` the app shows that rig instead and starts no worker here.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from desktop import clock
from desktop.ipc import endpoints
from desktop.ipc.schema import StatusAnswer
from desktop.ipc.schema_data import SettingsAnswer
from desktop.model import Event, Severity
from desktop.paths import Paths, get_paths
from desktop.ui import icons, tasks, theme
from desktop.ui.controller import Controller
from desktop.ui.dashboard.series import thermal_limits
from desktop.ui.main_window import MainWindow
from desktop.ui.notices import Notices
from desktop.ui.notifications import Notifier
from desktop.ui.options import AppOptions, OptionsError, parse_options
from desktop.ui.rig_switch import RigSwitch, SelectedRig, rig_starter
from desktop.ui.rigs import Rigs
from desktop.ui.single_instance import SingleInstance
from desktop.ui.tray import Tray
from desktop.ui.worker_link import WorkerLink, close_quietly
from desktop.ui.worker_start import LocalWorker, paths_for
from desktop.views.notices import other_worker
from desktop.views.rig import Headline, RigState, describe

log = logging.getLogger(__name__)
ERROR_HOLD_S = 300.0
ERROR_KINDS = ("worker.", "sensor.failure", "gpu.lost")
DEMO_WIZARD_TIP = "The setup wizard sets up this computer: open RigPilot (not the demo) for it."
MODE_WORDS = {
    "demo": "demo mode: a simulated GPU and the practice network",
    "simulated": "simulated GPUs",
    "nvml": "NVIDIA driver",
}


class RigPilotApp(QObject):
    """Window, tray, notifications and the link to the worker, wired together.

    ``paths`` are the installation's folders; the demo works in its own inside them
    (``worker_start.paths_for``), so nothing of the demo meets the real worker.
    """

    def __init__(
        self,
        options: AppOptions,
        paths: Paths,
        starter: Callable[[], Any] | None = None,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__()
        self.options = options
        self.paths = paths_for(options, paths).ensure()
        self.prefs = QSettings(str(paths.config_dir / "ui.ini"), QSettings.Format.IniFormat)
        self.theme_choice = "system"
        self.theme = theme.resolve(self.theme_choice)
        self._last_error: Event | None = None
        self.settings: SettingsAnswer | None = None
        self._start_failure = ""
        self.exit_app: Callable[[], None] = _exit_event_loop
        local_factory = client_factory or self._local_client
        self.link = WorkerLink(local_factory, self)
        self.local = LocalWorker(options, self.paths)
        local_starter = starter or self.local.start
        self.controller = Controller(self.link, lambda: self._start_selected(), self)
        self.window = MainWindow(self.link, self.controller, self.theme)
        self.rigs = Rigs(self.prefs, self.paths, local_factory, self)
        self.rig_switch = RigSwitch(self.rigs, self.link, self.window, self)
        self._start_selected = rig_starter(self.rig_switch, local_starter)
        self.pages: Any = None  # installed after the first paint (see start)
        self._started = False
        self.tray = Tray(self.controller, self.link, self)
        self.notifier = Notifier(self.tray.icon, self)
        self.notices = Notices(
            self.window,
            self.link,
            self.controller,
            self.local,
            paths,
            lambda stop: self.quit(stop_worker=stop),
            lambda: bool(self.rig_switch.selected),
        )
        if options.demo:
            self.window.setWindowTitle("RigPilot demo")
        self._wire()
        self._apply_theme()

    def _local_client(self) -> Any:
        from desktop.ipc.client import WorkerClient  # httpx: after the first paint

        return WorkerClient(self.paths)

    def _install_pages(self) -> Any:
        """The Networks and Settings tabs and the setup wizard (desktop.ui.pages).

        The wizard opens by itself on the first start, except in demo mode: ``--demo`` is
        for seeing the whole loop at once, not for setting this computer up.
        """
        try:
            from desktop.ipc.client import WorkerClient
            from desktop.ui.pages import install_pages

            prefs = None if self.options.demo or self.options.connect else self.prefs
            client = SelectedRig(WorkerClient(self.paths))
            installed = install_pages(self.window, client, prefs)
            installed.try_demo = self.notices.try_demo
            self.rig_switch.pages_client = client
            self.rig_switch.wizard_action = installed.wizard_action
            if self.options.demo:  # the wizard sets up this computer, not the demo
                installed.wizard_action.setEnabled(False)
                installed.wizard_action.setToolTip(DEMO_WIZARD_TIP)
            self.rig_switch.changed.connect(lambda _rig: installed.networks.refresh())
            self.rig_switch.changed.connect(lambda _rig: installed.settings.reload())
            self.link.status_changed.connect(installed.networks.on_status)
            installed.networks.status_wanted.connect(self.link.refresh_status)
            if self.link.status is not None:
                installed.networks.on_status(self.link.status)
            corner = self.window.tabs.cornerWidget()
            if corner is not None:
                corner.show()  # a corner widget added to a visible QTabWidget starts hidden
            return installed
        except Exception:  # the dashboard must open even if an extra page is broken
            log.exception("the Networks and Settings pages could not be added")
            return None

    def _wire(self) -> None:
        link, window = self.link, self.window
        link.status_changed.connect(self._on_status)
        link.status_changed.connect(window.dashboard.on_status)
        link.snapshot_changed.connect(self._on_snapshot)
        link.sample_received.connect(window.dashboard.on_samples)
        link.networks_changed.connect(window.dashboard.on_networks)
        link.networks_changed.connect(window.jobs.set_names)
        window.jobs.set_pay_lookup(window.dashboard.earn_chart.history.pay_by_job)
        link.events_loaded.connect(window.events.add_events)
        link.events_loaded.connect(window.dashboard.on_events)
        link.event_received.connect(window.dashboard.on_event)
        link.event_received.connect(window.events.add_event)
        link.event_received.connect(self._on_event)
        link.event_received.connect(self.notifier.on_event)
        link.worker_connected.connect(self._on_connected)
        link.worker_lost.connect(lambda _why: self._on_snapshot())
        link.switched.connect(window.dashboard.clear)
        link.switched.connect(window.events.clear)
        link.switched.connect(window.jobs.clear)
        link.switched.connect(self._on_switched)
        link.worker_connected.connect(lambda: window.jobs.refresh())
        self.controller.worker_started.connect(self._on_worker_started)
        self.controller.command_failed.connect(self._on_command_failed)
        self.controller.other_worker.connect(lambda _other: self._refresh_headline())
        window.visibility_changed.connect(link.set_live)
        window.shown_changed.connect(link.set_shown)
        window.hidden_to_tray.connect(self._on_hidden)
        window.quit_requested.connect(self.ask_quit)
        self.tray.open_requested.connect(window.bring_to_front)
        self.tray.quit_requested.connect(self.ask_quit)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.styleHints().colorSchemeChanged.connect(lambda _s: self._apply_theme())

    def start(self) -> None:
        """Show the tray and the window (unless --minimized); once it has painted, add the
        extra pages and find or start the worker. Deferring them (and their imports, httpx
        among them) keeps the cold start to the first painted window short."""
        tray = QSystemTrayIcon.isSystemTrayAvailable()
        if tray:
            self.tray.show()
        self._refresh_headline()
        if not self.options.minimized or not tray:
            self.window.first_painted.connect(self._after_first_paint)
            self.window.show()
        else:
            self._after_first_paint()

    def _after_first_paint(self) -> None:
        if self._started:
            return
        self._started = True
        self.pages = self._install_pages()
        self.rigs.start()
        if self.options.connect:
            self.rig_switch.add(self.options.connect)  # a rig instead of this computer
        else:
            self.controller.start_worker()
        self._refresh_headline()

    def _on_worker_started(self, client: Any) -> None:
        """A worker answers after "Start worker": show it if its rig is still the one on
        screen (the user may have chosen another meanwhile)."""
        if getattr(client, "rig", "") == self.rig_switch.selected:
            self.link.start(client)

    def _on_switched(self) -> None:
        self._last_error = None
        self._start_failure = ""
        self.settings = None
        self._refresh_headline()

    # --- state ----------------------------------------------------------------------

    def _refresh_headline(self) -> None:
        now = clock.now()
        if self._last_error and now - self._last_error.ts > ERROR_HOLD_S:
            self._last_error = None
        rig = self.rig_switch.selected
        starting = self.controller.starting or not self._started
        headline = describe(
            self.link.snapshot,
            connected=self.link.connected,
            now=now,
            starting=starting or bool(rig and not self.link.lost_reason),
            last_error=self._last_error,
            rig=rig,
        )
        failure = self._start_failure or (self.link.lost_reason if rig else "")
        if not self.link.connected and failure and not self.controller.starting:
            headline = dataclasses.replace(headline, detail=failure)
        other = self.notices.other
        if other is not None:  # a demo or simulated worker is not this computer's
            notice = other_worker(other.status)
            headline = Headline(RigState.ERROR, notice.title, notice.text)
        paused = self.controller.paused_all
        status = self.link.status
        self.window.strip.show_headline(
            headline,
            paused=paused,
            connected=self.link.connected and other is None,
            has_gpus=status is None or bool(status.gpus),
        )
        if other is not None:
            self.window.strip.start_button.hide()  # the notice's button is the way on
        self.tray.show_state(headline, self.link.snapshot)

    def _on_snapshot(self) -> None:
        """Everything that shows the rig's state renders from the snapshot, in this turn."""
        self._refresh_headline()
        self.window.dashboard.on_snapshot()

    def _on_status(self, status: StatusAnswer) -> None:
        mode = MODE_WORDS.get(status.mode.value, "")
        where = f" · on {self.rig_switch.selected}" if self.rig_switch.selected else ""
        self.window.set_footer(f"worker {status.version} · {mode}".strip(" ·") + where)

    def _on_event(self, event: Event) -> None:
        kind = event.kind
        severe = event.severity in (Severity.ERROR, Severity.CRITICAL)
        if kind.startswith(ERROR_KINDS) and severe:
            self._last_error = event
        elif kind.startswith(ERROR_KINDS) and self._last_error is not None:
            self._last_error = None  # the same family reports it is fine again
        if kind.startswith("job.") or kind == "network.earned":
            self.window.jobs.refresh()
        if kind == "settings.changed":
            self._load_settings()
        self._refresh_headline()

    def _on_connected(self) -> None:
        self._start_failure = ""
        self._load_settings()
        self._refresh_headline()

    def _load_settings(self) -> None:
        def done(answer: SettingsAnswer) -> None:
            self.settings = answer
            self.theme_choice = str(answer.settings["ui.theme"])
            self.notifier.enabled = bool(answer.settings["notifications.enabled"])
            dashboard = self.window.dashboard
            dashboard.set_limits(*thermal_limits(answer, self.link.status, dashboard.gpu))
            self._apply_theme()

        self.link.call(endpoints.SETTINGS, None, on_done=done, on_error=lambda _e: None)

    def _apply_theme(self) -> None:
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        self.theme = theme.resolve(self.theme_choice)
        theme.apply(app, self.theme)
        self.window.apply_theme(self.theme)

    def _on_command_failed(self, message: str) -> None:
        if not self.link.connected:
            self._start_failure = message
        self._refresh_headline()
        self.notifier.show("RigPilot", message, "error")
        self.window.statusBar().showMessage(message, 15_000)

    # --- hide and quit --------------------------------------------------------------

    def _on_hidden(self) -> None:
        if self.prefs.value("notices/hidden_to_tray", False, bool):
            return
        self.prefs.setValue("notices/hidden_to_tray", True)
        self.prefs.sync()
        self.notifier.show(
            "RigPilot keeps running",
            "RigPilot is still watching your GPU from the tray. Choose Quit in the tray menu "
            "to close it.",
        )

    def quit_dialog(self) -> QMessageBox:
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Quit RigPilot")
        box.setText("Stop the worker too?")
        box.setInformativeText(
            "The worker keeps your GPU earning (and guarded) while the app is closed. "
            "Stop it to end all work on this computer."
        )
        self.stop_button = box.addButton("&Stop worker", QMessageBox.ButtonRole.DestructiveRole)
        self.keep_button = box.addButton("&Keep it running", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(self.keep_button)
        return box

    def ask_quit(self) -> None:
        if self.options.demo:  # the demo's worker is the demo's: it goes with it
            self.quit(stop_worker=True)
            return
        box = self.quit_dialog()
        box.exec()
        clicked = box.clickedButton()
        if clicked is self.stop_button:
            self.quit(stop_worker=True)
        elif clicked is self.keep_button:
            self.quit(stop_worker=False)

    def quit(self, stop_worker: bool) -> None:
        """End the app; with ``stop_worker`` ask the worker to shut down first.

        The demo always stops its own worker (and waits for it), whatever was asked."""
        if self.options.demo:
            self.link.stop()
            tasks.run_in_background(
                self.local.stop_owned, lambda _r: self._finish(), lambda _e: self._finish()
            )
        elif stop_worker and self.rig_switch.selected:
            self._stop_local_worker()  # "this computer": never a rig on screen
        elif stop_worker and self.link.connected:
            self.controller.stop_worker(self._finish)
        else:
            self._finish()

    def _stop_local_worker(self) -> None:
        factory = self.rigs.factory("")

        def shut_down() -> object:
            client = factory()
            try:
                return client.call(endpoints.SHUTDOWN)
            finally:
                close_quietly(client)

        tasks.run_in_background(
            shut_down,
            lambda _r: self._finish(),
            lambda _e: self._finish(),
        )

    def _finish(self) -> None:
        self.close()
        self.exit_app()

    def close(self) -> None:
        """Close the window and every connection (worker API, rigs' tunnels); the worker
        itself is not touched."""
        self.link.stop()
        self.rigs.close()
        self.rig_switch.close()
        self.tray.hide()
        self.window.allow_close = True
        self.window.close()


def _exit_event_loop() -> None:
    app = QApplication.instance()
    if app is not None:
        app.exit(0)


def _exit_after_first_paint(window: MainWindow) -> None:
    """RIGPILOT_EXIT_AFTER_FIRST_PAINT=1: print the time of the first paint and exit (perf)."""

    def report() -> None:
        print(f"first-paint {clock.now():.6f}", flush=True)
        app = QApplication.instance()
        if app is not None:
            app.exit(0)

    window.first_painted.connect(report)


def _quit_on_signals(rig: RigPilotApp) -> None:
    """Ctrl+C in the terminal (or SIGTERM at logout) closes the app; the worker keeps running
    (the demo's stops with the demo).

    Python runs signal handlers between bytecodes, which the link's 1 s timer guarantees.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: rig.quit(stop_worker=rig.options.demo))


def run_app(argv: list[str]) -> int:
    """`rigpilot [--demo] [--simulate PROFILE] [--sim-speed N] [--minimized]`: the app."""
    try:
        options = parse_options(argv)
    except OptionsError as exc:
        print(f"rigpilot: {exc}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("RigPilot")
    app.setDesktopFileName("rigpilot")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(icons.app_icon())
    theme.remember_os_palette(app)
    paths = get_paths()
    instance = SingleInstance(paths_for(options, paths))  # the demo beside the real app
    if not instance.acquire():
        if instance.notify_first():
            return 0
        print("rigpilot: RigPilot is already open (see the tray icon).", file=sys.stderr)
        return 0
    rig = RigPilotApp(options, paths)
    instance.activated.connect(rig.window.bring_to_front)
    _quit_on_signals(rig)
    if os.environ.get("RIGPILOT_EXIT_AFTER_FIRST_PAINT") == "1":
        _exit_after_first_paint(rig.window)
    rig.start()
    try:
        return int(app.exec())
    finally:
        rig.link.stop()
        tasks.wait_all(2000)
        instance.release()
