"""``install_pages``: the Networks and Settings tabs and the wizard entry in the real app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from desktop.ipc.client import WorkerClient


def test_pages_and_wizard_are_installed_in_the_main_window(
    qtbot: Any,
    start_worker: Callable[..., Any],
    open_app: Callable[..., Any],
    rigpilot_home: Path,
    tmp_path: Path,
) -> None:
    from desktop.ui.pages import FIRST_RUN_KEY, install_pages
    from desktop.ui.wizard.dialog import WizardDialog

    worker = start_worker("--simulate", "warm")
    rig = open_app()
    prefs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    installed = install_pages(rig.window, WorkerClient(worker.client.paths), prefs)
    tabs = rig.window.tabs
    labels = [tabs.tabText(i) for i in range(tabs.count())]
    assert labels[-3:] == ["&Networks", "Mone&y", "Se&ttings"]
    assert tabs.cornerWidget() is not None

    # First start: the wizard opens by itself, once.
    qtbot.waitUntil(lambda: installed.wizard is not None and installed.wizard.isVisible())
    assert isinstance(installed.wizard, WizardDialog) and prefs.value(FIRST_RUN_KEY, False, bool)
    first = installed.wizard
    assert installed.open_wizard() is first, "a second request raises the open wizard"
    first.reject()
    qtbot.waitUntil(lambda: not first.isVisible())

    installed.wizard_action.trigger()  # the "Setup wizard…" button / Ctrl+Shift+S
    qtbot.waitUntil(lambda: installed.wizard is not first and installed.wizard.isVisible())
    installed.wizard.reject()

    tabs.setCurrentWidget(installed.settings)
    qtbot.waitUntil(lambda: bool(installed.settings.editors), timeout=10_000)
    assert "thermal.pause_limit_c" in installed.settings.editors
