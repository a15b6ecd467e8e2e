"""README screenshots of the real app in demo mode: dashboard, tray menu, jobs view.

The worker runs ``--demo`` (its card and market ten times faster) with 1 s sampling. One
clock (issue 13): samples carry the wall clock, so the shot is taken after two minutes of
them, not a full 10 minute chart; when the worker runs jobs, the test also waits for paid
jobs so the earnings chart and the jobs table are not empty. The PNGs land in
resources/screenshots/ (dark theme, 1280x800).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication

from desktop.ipc import endpoints

OUT = Path(__file__).resolve().parents[2] / "resources" / "screenshots"
SIZE = (1280, 800)
CHART_S = 120.0  # two minutes of samples on the chart (wall time: one clock)


def _grab_screen(rect: QRect) -> Any:
    screen = QGuiApplication.primaryScreen()
    return screen.grabWindow(0, rect.x(), rect.y(), rect.width(), rect.height())


def test_screenshots(
    start_worker: Any, open_app: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIGPILOT_THEME", "dark")
    worker = start_worker("--demo", "--sim-speed", "10")
    worker.client.call(endpoints.PATCH_SETTINGS, {"sampling.interval_s": 1})
    rig = open_app()
    window = rig.window
    window.resize(*SIZE)
    page = window.dashboard
    qtbot.waitUntil(lambda: page.live_span() >= CHART_S, timeout=180_000)
    with_jobs = worker.status().components.jobs
    if with_jobs:  # money on the chart: two paid jobs, and a full chart width
        qtbot.waitUntil(lambda: len(page.earn_chart.history.pay_by_job) >= 2, timeout=180_000)
        qtbot.waitUntil(lambda: page.earn_chart.span() >= 110, timeout=180_000)
    qtbot.wait(1500)  # one more redraw at the steady 1 Hz pace
    OUT.mkdir(parents=True, exist_ok=True)

    dashboard = window.grab()
    assert (dashboard.width(), dashboard.height()) == SIZE
    assert dashboard.save(str(OUT / "dashboard.png"))

    tray = rig.tray
    icon_rect = tray.icon.geometry()
    anchor = icon_rect.bottomLeft() if icon_rect.isValid() else QPoint(SIZE[0] - 300, 30)
    tray.menu.popup(anchor)
    qtbot.waitExposed(tray.menu)
    qtbot.wait(300)
    menu_rect = tray.menu.geometry()
    area = menu_rect.united(icon_rect) if icon_rect.isValid() else menu_rect
    area = area.adjusted(-12, -6, 12, 12)
    shot = _grab_screen(area)
    tray.menu.hide()
    assert shot.width() > 100 and shot.height() > 100
    assert shot.save(str(OUT / "tray-menu.png"))

    window.tabs.setCurrentWidget(window.jobs)
    window.jobs.refresh(force=True)
    if with_jobs:
        qtbot.waitUntil(lambda: window.jobs.history.rowCount() >= 1, timeout=60_000)
    else:
        qtbot.waitUntil(window.jobs.empty_title.isVisible, timeout=5000)
    qtbot.wait(500)
    jobs = window.grab()
    assert jobs.save(str(OUT / "jobs.png"))
    for name in ("dashboard.png", "tray-menu.png", "jobs.png"):
        assert (OUT / name).stat().st_size > 5000, name
    assert os.environ.get("RIGPILOT_THEME") == "dark"
