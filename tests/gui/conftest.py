"""GUI test fixtures: a real X server with a tray host, a real worker process, the real app.

``start_worker(*args)`` runs ``python -m desktop worker ARGS --foreground`` in this test's
RIGPILOT_HOME and waits for its API; ``open_app()`` builds the whole app (window, tray,
notifications, link) in the test process and waits until it is connected to that worker.
The workers here are simulated, so ``open_app()`` opens the app as ``rigpilot --simulate``
does (the real app would refuse to show them); tests of the real app pass ``AppOptions()``.
Whatever worker an app started (the real one, the demo's) is stopped after the test.
Under tests/run.sh (RIGPILOT_REQUIRE_SERVICES=1) a missing display or tray host FAILS.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ipc.client import IpcError, WorkerClient
from desktop.ipc.schema import StatusAnswer
from desktop.paths import Paths

REQUIRED = os.environ.get("RIGPILOT_REQUIRE_SERVICES") == "1"
START_TIMEOUT_S = 30.0


# A known UI defect that qt_log_level_fail revealed, tolerated here only, precisely, until
# the UI rewrite fixes it (then delete this block): something in the app starts a QTimer
# from a thread other than the GUI thread (seen now and then in test_settings_page). The
# app's unclosed worker-API connections are filtered in pyproject.toml (they can surface
# after the last test, where a mark cannot reach).
UI_DEFECTS = [
    pytest.mark.qt_log_ignore("QBasicTimer::start: Timers cannot be started from another thread"),
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            for mark in UI_DEFECTS:
                item.add_marker(mark)


def need(what: str) -> None:
    message = f"{what} is not available (tests/run.sh starts it)"
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


def home_paths(home: Path) -> Paths:
    return Paths(home / "config", home / "data", home / "logs", home / "run")


@pytest.fixture
def tray_host(qapp: Any) -> None:
    """An X display with a system tray (Xvfb + trayer under tests/run.sh)."""
    if not os.environ.get("DISPLAY"):
        need("an X server (DISPLAY)")
    from PySide6.QtWidgets import QSystemTrayIcon

    if not QSystemTrayIcon.isSystemTrayAvailable():
        need("a system tray host on the X display")


@dataclass
class GuiWorker:
    process: subprocess.Popen[bytes]
    home: Path
    client: WorkerClient

    def status(self) -> StatusAnswer:
        return self.client.status()

    def output(self) -> str:
        log = self.home / "worker-console.out"
        return log.read_text(errors="replace")[-4000:] if log.exists() else ""


@pytest.fixture
def start_worker(rigpilot_home: Path) -> Iterator[Callable[..., GuiWorker]]:
    started: list[GuiWorker] = []

    def start(*args: str) -> GuiWorker:
        argv = [*(args or ("--simulate", "warm")), "--foreground"]
        env = dict(os.environ, RIGPILOT_HOME=str(rigpilot_home), PYTHONUNBUFFERED="1")
        with open(rigpilot_home / "worker-console.out", "ab") as console:
            process = subprocess.Popen(
                [sys.executable, "-m", "desktop", "worker", *argv],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
            )
        worker = GuiWorker(process, rigpilot_home, WorkerClient(home_paths(rigpilot_home)))
        started.append(worker)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                worker.status()
                # A program named like a game on the test machine must not pause the work.
                worker.client.call(endpoints.PATCH_SETTINGS, {"gaming.enabled": False})
                return worker
            except IpcError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start\n{worker.output()}")
            time.sleep(0.05)

    yield start
    for worker in started:
        worker.client.close()
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
            try:
                worker.process.wait(15)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()


@pytest.fixture
def open_app(qtbot: Any, tray_host: None, rigpilot_home: Path) -> Iterator[Callable[..., Any]]:
    """``open_app(options=None, connect=True, first_run=False)``: the app, shown, connected.

    Unless ``first_run``, the installation is marked as set up so the wizard stays closed.
    """
    from desktop.ui import tasks
    from desktop.ui.app import RigPilotApp
    from desktop.ui.options import AppOptions

    apps: list[RigPilotApp] = []

    def open_(
        options: AppOptions | None = None, connect: bool = True, first_run: bool = False
    ) -> RigPilotApp:
        paths = home_paths(rigpilot_home).ensure()
        if not first_run:  # the setup wizard opens by itself only on a first start
            from PySide6.QtCore import QSettings

            from desktop.ui.pages import FIRST_RUN_KEY

            prefs = QSettings(str(paths.config_dir / "ui.ini"), QSettings.Format.IniFormat)
            prefs.setValue(FIRST_RUN_KEY, True)
            prefs.sync()
        rig = RigPilotApp(options or AppOptions(simulate="warm"), paths)
        apps.append(rig)
        rig.start()
        qtbot.waitExposed(rig.window)
        if connect:
            qtbot.waitUntil(lambda: rig.link.connected and rig.link.history_loaded, timeout=15_000)
        return rig

    yield open_
    for rig in apps:
        rig.close()
        for widget in list(_balloons()):
            widget.close()
    tasks.wait_all(5000)
    for rig in apps:
        rig.window.deleteLater()
        rig.deleteLater()
    stop_workers_in(rigpilot_home)


def stop_workers_in(home: Path) -> None:
    """Stop any worker an app started in ``home`` (its own, or the demo's folders)."""
    from desktop.ipc.client import WorkerClient
    from desktop.ipc.launch import stop_worker_at
    from desktop.paths import demo_paths

    base = home_paths(home)
    for paths in (base, demo_paths(base)):
        if paths.runtime_dir.exists():
            client = WorkerClient(paths)
            try:
                stop_worker_at(client, timeout=30)
            finally:
                client.close()


def _balloons() -> list[Any]:
    from PySide6.QtWidgets import QApplication

    return [
        w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QBalloonTip"
    ]


@pytest.fixture
def balloons() -> Callable[[], list[str]]:
    """The texts of the tray notifications (Qt balloons) now on screen."""
    from PySide6.QtWidgets import QLabel

    def texts() -> list[str]:
        found = []
        for tip in _balloons():
            if tip.isVisible():
                found.append(" ".join(label.text() for label in tip.findChildren(QLabel)))
        return found

    return texts
