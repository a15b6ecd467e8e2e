"""The app's composition root: `rigpilot` / `rigpilot --demo` open the window and the tray.

Start-up order matters for a snappy first paint (< 2 s on a 2-core machine): one-instance
check, window and tray on screen, and only then the worker is found or started in the
background; the window says "Starting the RigPilot worker…" meanwhile instead of freezing.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from desktop.ipc.client import WorkerClient, ensure_worker_running
from desktop.paths import Paths, get_paths
from desktop.ui import icons, tasks, theme
from desktop.ui.controller import Controller
from desktop.ui.dashboard.series import thermal_limits
from desktop.ui.main_window import MainWindow
from desktop.ui.notifications import Notifier
from desktop.ui.rig_state import describe
from desktop.ui.single_instance import SingleInstance
from desktop.ui.tray import Tray
from desktop.ui.worker_link import WorkerLink

log = logging.getLogger(__name__)
DEMO_SIM_SPEED = 10.0
ERROR_HOLD_S = 300.0
ERROR_KINDS = ("worker.", "sensor.failure", "gpu.lost")


@dataclass(frozen=True)
class AppOptions:
    demo: bool = False
    simulate: str | None = None
    sim_speed: float | None = None
    minimized: bool = False

    def worker_args(self) -> list[str]:
        """The options the app passes to ``rigpilot worker`` when it has to start one."""
        args: list[str] = []
        if self.demo:
            args.append("--demo")
        if self.simulate:
            args += ["--simulate", self.simulate]
        speed = (
            self.sim_speed
            if self.sim_speed is not None
            else (DEMO_SIM_SPEED if self.demo else None)
        )
        if speed is not None:
            args += ["--sim-speed", f"{speed:g}"]
        return args


class OptionsError(Exception):
    """Bad app options; the message names the problem and the fix."""


def parse_options(argv: list[str]) -> AppOptions:
    parser = argparse.ArgumentParser(prog="rigpilot", add_help=False, exit_on_error=False)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--simulate", metavar="PROFILE")
    parser.add_argument("--sim-speed", type=float)
    parser.add_argument("--minimized", action="store_true")
    try:
        ns, extra = parser.parse_known_args(argv)
    except argparse.ArgumentError as exc:
        raise OptionsError(f"{exc}. Try: rigpilot --demo, or rigpilot --help") from None
    if extra:
        raise OptionsError(
            f"unknown option {extra[0]!r} for the app. Try: rigpilot --demo, or rigpilot --help"
        )
    if ns.sim_speed is not None and not (0 < ns.sim_speed <= 1000):
        raise OptionsError("--sim-speed must be between 0 and 1000 (for example --sim-speed 10)")
    return AppOptions(ns.demo, ns.simulate, ns.sim_speed, ns.minimized)


class RigPilotApp(QObject):
    """Window, tray, notifications and the link to the worker, wired together."""

    def __init__(
        self,
        options: AppOptions,
        paths: Paths,
        starter: Callable[[], Any] | None = None,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__()
        self.options = options
        self.paths = paths.ensure()
        self.prefs = QSettings(str(paths.config_dir / "ui.ini"), QSettings.Format.IniFormat)
        self.theme_choice = "system"
        self.theme = theme.resolve(self.theme_choice)
        self._last_error: dict[str, Any] | None = None
        self._start_failure = ""
        self.exit_app: Callable[[], None] = _exit_event_loop
        self.link = WorkerLink(client_factory or WorkerClient.from_env, self)
        self.controller = Controller(
            self.link, starter or (lambda: ensure_worker_running(options.worker_args())), self
        )
        self.window = MainWindow(self.link, self.controller, self.theme)
        self.tray = Tray(self.controller, self.link, self)
        self.notifier = Notifier(self.tray.icon, self)
        self._wire()
        self._apply_theme()

    def _wire(self) -> None:
        link, window = self.link, self.window
        link.status_changed.connect(self._on_status)
        link.status_changed.connect(window.dashboard.on_status)
        link.sample_received.connect(window.dashboard.on_samples)
        link.networks_changed.connect(window.dashboard.on_networks)
        link.networks_changed.connect(window.jobs.set_names)
        link.events_loaded.connect(window.events.add_events)
        link.event_received.connect(window.events.add_event)
        link.event_received.connect(self._on_event)
        link.event_received.connect(self.notifier.on_event)
        link.worker_connected.connect(self._on_connected)
        link.worker_lost.connect(lambda _why: self._refresh_headline())
        self.controller.worker_started.connect(link.start)
        self.controller.command_failed.connect(self._on_command_failed)
        window.visibility_changed.connect(link.set_live)
        window.hidden_to_tray.connect(self._on_hidden)
        window.quit_requested.connect(self.ask_quit)
        self.tray.open_requested.connect(window.bring_to_front)
        self.tray.quit_requested.connect(self.ask_quit)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.styleHints().colorSchemeChanged.connect(lambda _s: self._apply_theme())

    def start(self) -> None:
        """Show the tray (and the window unless --minimized), then find or start the worker."""
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.show()
        if not self.options.minimized or not QSystemTrayIcon.isSystemTrayAvailable():
            self.window.show()
        self.controller.start_worker()
        self._refresh_headline()

    # --- state ----------------------------------------------------------------------

    def _refresh_headline(self) -> None:
        if self._last_error and time.time() - float(self._last_error.get("ts", 0)) > ERROR_HOLD_S:
            self._last_error = None
        headline = describe(
            self.link.status,
            connected=self.link.connected,
            starting=self.controller.starting,
            last_error=self._last_error,
        )
        if not self.link.connected and self._start_failure and not self.controller.starting:
            headline = dataclasses.replace(headline, detail=self._start_failure)
        paused = bool(((self.link.status or {}).get("paused") or {}).get("all"))
        self.window.strip.show_headline(headline, paused=paused, connected=self.link.connected)
        self.tray.show_state(headline, self.link.status)

    def _on_status(self, _status: dict[str, Any]) -> None:
        self._refresh_headline()

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = str(event.get("kind") or "")
        severity = str(event.get("severity") or "info")
        if kind.startswith(ERROR_KINDS) and severity in ("error", "critical"):
            self._last_error = event
        elif kind.startswith(ERROR_KINDS) and self._last_error is not None:
            self._last_error = None  # the same family reports it is fine again
        if kind.startswith("job."):
            self.window.dashboard.on_job_event()
            self.window.jobs.refresh()
        if kind == "settings.changed":
            self._load_settings()
        self._refresh_headline()

    def _on_connected(self) -> None:
        self._start_failure = ""
        self._load_settings()
        self._refresh_headline()

    def _load_settings(self) -> None:
        def done(answer: dict[str, Any]) -> None:
            settings = answer.get("settings") or {}
            self.theme_choice = str(settings.get("ui.theme") or "system")
            self.notifier.enabled = bool(settings.get("notifications.enabled", True))
            dashboard = self.window.dashboard
            dashboard.set_limits(*thermal_limits(settings, self.link.status, dashboard.gpu))
            dashboard.set_electricity(
                settings.get("electricity.price_per_kwh"),
                settings.get("electricity.system_overhead_w"),
            )
            self._apply_theme()

        self.link.call("GET", "/settings", on_done=done, on_error=lambda _e: None)

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
        box = self.quit_dialog()
        box.exec()
        clicked = box.clickedButton()
        if clicked is self.stop_button:
            self.quit(stop_worker=True)
        elif clicked is self.keep_button:
            self.quit(stop_worker=False)

    def quit(self, stop_worker: bool) -> None:
        """End the app; with ``stop_worker`` ask the worker to shut down first."""
        if stop_worker and self.link.connected:
            self.controller.stop_worker(self._finish)
        else:
            self._finish()

    def _finish(self) -> None:
        self.link.stop()
        self.tray.hide()
        self.window.allow_close = True
        self.window.close()
        self.exit_app()


def _exit_event_loop() -> None:
    app = QApplication.instance()
    if app is not None:
        app.exit(0)


def _exit_after_first_paint(window: MainWindow) -> None:
    """RIGPILOT_EXIT_AFTER_FIRST_PAINT=1: print the time of the first paint and exit (perf)."""

    def report() -> None:
        print(f"first-paint {time.time():.6f}", flush=True)
        app = QApplication.instance()
        if app is not None:
            app.exit(0)

    window.first_painted.connect(report)


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
    instance = SingleInstance(paths)
    if not instance.acquire():
        if instance.notify_first():
            return 0
        print("rigpilot: RigPilot is already open (see the tray icon).", file=sys.stderr)
        return 0
    rig = RigPilotApp(options, paths)
    instance.activated.connect(rig.window.bring_to_front)
    if os.environ.get("RIGPILOT_EXIT_AFTER_FIRST_PAINT") == "1":
        _exit_after_first_paint(rig.window)
    rig.start()
    try:
        return int(app.exec())
    finally:
        rig.link.stop()
        tasks.wait_all(2000)
        instance.release()
