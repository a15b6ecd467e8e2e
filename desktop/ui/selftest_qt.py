"""The Qt half of ``rigpilot self-test``: run in a child process by ``desktop.selftest``.

Why a separate process: Qt aborts the process when no platform plugin loads, and a
missing image plugin or a dropped Qt library shows only when something is drawn. The
parent sends ``{"modules": [...], "headless": bool}`` on stdin; this prints one JSON list
of ``{name, status, detail, fix}`` on the last line of stdout. It may not import
``desktop.selftest`` (that reaches Docker and NVML, which the UI must not import), hence
plain dicts here.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication, QIcon, QImageReader
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon

Result = dict[str, str]
REINSTALL = "Rebuild the bundle (installers/build_linux.sh) or reinstall RigPilot."


def _result(name: str, status: str, detail: str, fix: str = "") -> Result:
    return {"name": name, "status": status, "detail": detail, "fix": fix}


def _error(exc: BaseException) -> str:
    """One line for an exception (numpy's ImportError alone is 20 lines of advice)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}"[:300]


def _wait(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    """Process events until ``condition`` holds or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def import_modules(modules: list[str]) -> Result:
    broken = []
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # ImportError, or an error inside the module
            broken.append(f"{module} ({_error(exc)})")
    if broken:
        more = f"; and {len(broken) - 5} more" if len(broken) > 5 else ""
        detail = "cannot import " + "; ".join(broken[:5]) + more
        return _result("ui-modules", "fail", detail, REINSTALL)
    return _result("ui-modules", "pass", f"{len(modules)} UI modules import (Qt, pyqtgraph)")


def check_icons() -> Result:
    """The SVG icons: the resource files and Qt's SVG image and icon-engine plugins."""
    from desktop.ui import icons

    path = icons.resources_dir() / "icons" / "rigpilot.svg"
    if not path.is_file():
        return _result("icons", "fail", f"the icon files are missing ({path})", REINSTALL)
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    if "svg" not in formats:
        detail = "Qt's SVG image plugin (imageformats/qsvg) is missing"
        return _result("icons", "fail", detail, REINSTALL)
    pixmap = QIcon(str(path)).pixmap(64, 64)
    if pixmap.isNull():
        detail = "the app icon does not render (Qt's iconengines/qsvgicon plugin is missing?)"
        return _result("icons", "fail", detail, REINSTALL)
    return _result("icons", "pass", f"SVG icons render from {path.parent}")


def check_window() -> Result:
    """A main window with a live pyqtgraph plot: shown, painted, closed."""
    import numpy as np
    import pyqtgraph as pg

    window = QMainWindow()
    window.setWindowTitle("RigPilot self-test")
    plot = pg.PlotWidget()
    plot.plot(np.linspace(0.0, 1.0, 50), np.sin(np.linspace(0.0, 6.0, 50)))
    window.setCentralWidget(plot)
    window.resize(320, 200)
    window.show()
    shown = _wait(lambda: window.windowHandle() is not None and window.windowHandle().isExposed())
    painted = not window.grab().isNull()
    window.close()
    window.deleteLater()
    QCoreApplication.processEvents()
    if not (shown and painted):
        detail = "a window did not appear" if not shown else "a window did not paint"
        return _result("window", "fail", detail, REINSTALL)
    return _result("window", "pass", "a window with a chart was shown, painted and closed")


def check_tray(headless: bool) -> Result:
    if headless:
        return _result("tray", "skip", "no display here (a headless rig runs only the worker)")
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return _result("tray", "skip", "this desktop has no system tray; the window still works")
    from desktop.ui import icons

    tray = QSystemTrayIcon(icons.app_icon())
    tray.setToolTip("RigPilot self-test")
    tray.show()
    visible = _wait(tray.isVisible, 3.0)
    tray.hide()
    tray.deleteLater()
    if not visible:
        return _result("tray", "fail", "the tray icon did not appear", REINSTALL)
    return _result("tray", "pass", "a tray icon was shown and removed")


def check_local_socket() -> Result:
    """QtNetwork's local sockets carry the single-instance hand-over."""
    server = QLocalServer()
    name = f"rigpilot-selftest-{os.getpid()}"
    QLocalServer.removeServer(name)
    if not server.listen(name):
        return _result("local-socket", "fail", f"QLocalServer: {server.errorString()}")
    client = QLocalSocket()
    client.connectToServer(name)
    connected = client.waitForConnected(3000)
    client.abort()
    server.close()
    if not connected:
        return _result("local-socket", "fail", f"QLocalSocket: {client.errorString()}")
    return _result("local-socket", "pass", "QtNetwork local sockets work")


def run(modules: list[str], headless: bool) -> list[Result]:
    results = [import_modules(modules)]
    app = QApplication.instance() or QApplication(["rigpilot-self-test"])
    platform = QGuiApplication.platformName()
    results.append(_result("qt-platform", "pass", f"Qt platform plugin '{platform}' loaded"))
    for check in (check_icons, check_window, check_local_socket):
        try:
            results.append(check())
        except Exception as exc:  # a finding, not a crash
            name = check.__name__.removeprefix("check_").replace("_", "-")
            results.append(_result(name, "fail", _error(exc)))
    try:
        results.append(check_tray(headless))
    except Exception as exc:
        results.append(_result("tray", "fail", _error(exc)))
    app.processEvents()
    return results


def main() -> int:
    """Read the request on stdin, print the results as one JSON line; always exit 0."""
    request = json.loads(sys.stdin.read() or "{}")
    results = run(list(request.get("modules", [])), bool(request.get("headless", False)))
    print(json.dumps(results), flush=True)
    return 0
