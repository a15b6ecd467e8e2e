"""The app against a real worker on a real X server with a tray host (pytest-qt)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from desktop.ipc import endpoints
from desktop.ipc.schema_data import TelemetryQuery, TelemetryRange
from desktop.model import Event, Severity
from desktop.ui.dashboard.series import resolution_words
from desktop.ui.single_instance import SingleInstance
from desktop.views.rig import RigState


def _activate(rig: Any, qtbot: Any) -> None:
    """Give the window keyboard focus (shortcuts only fire in the active window)."""
    rig.window.activateWindow()
    qtbot.waitUntil(rig.window.isActiveWindow, timeout=3000)


def paused_all(worker: Any) -> bool:
    """The worker holds all work for the user (its one record of the pause)."""
    return any(h.scope == "all" for h in worker.status().user_holds)


def _open_tray_menu(rig: Any, qtbot: Any) -> None:
    menu = rig.tray.menu
    menu.popup(QPoint(400, 40))
    qtbot.waitExposed(menu)


def test_pause_from_the_tray_menu_reaches_the_worker_within_a_second(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    worker = start_worker("--simulate", "warm")
    rig = open_app()
    _open_tray_menu(rig, qtbot)
    QTest.keyClick(rig.tray.menu, Qt.Key.Key_P)  # "&Pause all"
    qtbot.waitUntil(lambda: paused_all(worker), timeout=1000)  # within a second, or fails
    qtbot.waitUntil(
        lambda: rig.window.strip.text.text().startswith("Paused by you"), timeout=3000
    )
    assert rig.tray.headline.state == RigState.PAUSED
    assert rig.window.strip.pause_button.text() == "&Resume"

    _open_tray_menu(rig, qtbot)
    QTest.keyClick(rig.tray.menu, Qt.Key.Key_R)  # "&Resume"
    qtbot.waitUntil(lambda: not paused_all(worker), timeout=1000)
    qtbot.waitUntil(lambda: rig.tray.headline.state != RigState.PAUSED, timeout=3000)


def test_pause_for_an_hour_sets_the_end_time_and_the_strip_says_until(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    worker = start_worker("--simulate", "warm")
    rig = open_app()
    _open_tray_menu(rig, qtbot)
    QTest.keyClick(rig.tray.menu, Qt.Key.Key_H)  # "Pause for 1 &hour"
    qtbot.waitUntil(lambda: paused_all(worker), timeout=1000)
    status = worker.status()
    (hold,) = status.user_holds
    until = hold.until
    assert until is not None and 3540 < until - status.now <= 3600  # by the worker's clock
    expected = time.strftime("%H:%M", time.localtime(until))
    qtbot.waitUntil(lambda: expected in rig.window.strip.text.text(), timeout=3000)
    assert rig.window.strip.text.text().startswith("Paused by you until ")


def test_ctrl_p_toggles_pause(start_worker: Any, open_app: Any, qtbot: Any) -> None:
    worker = start_worker("--simulate", "warm")
    rig = open_app()
    _activate(rig, qtbot)
    QTest.keyClick(rig.window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: paused_all(worker), timeout=2000)
    qtbot.waitUntil(lambda: rig.controller.paused_all, timeout=3000)
    QTest.keyClick(rig.window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not paused_all(worker), timeout=2000)


def test_guard_trip_shows_in_the_strip_and_as_a_notification(
    start_worker: Any, open_app: Any, qtbot: Any, balloons: Any
) -> None:
    # A real trip: practice jobs load the simulated GPU past limits the user set low.
    worker = start_worker("--demo", "--sim-speed", "30")
    if not worker.status().components.guard:
        pytest.xfail("this worker does not run the thermal guard yet (components.guard false)")
    limits = {"thermal.soft_limit_c": 50, "thermal.pause_limit_c": 55}
    worker.client.call(endpoints.PATCH_SETTINGS, limits)
    rig = open_app()
    with qtbot.waitSignal(
        rig.notifier.notified,
        timeout=90_000,
        check_params_cb=lambda title, _m: title == "RigPilot protected your GPU",
    ) as shown:
        pass
    message = shown.args[1]
    assert "°C" in message
    qtbot.waitUntil(lambda: any(message in text for text in balloons()), timeout=3000)
    qtbot.waitUntil(lambda: rig.window.strip.text.text().startswith("Hot:"), timeout=10_000)
    assert rig.tray.headline.state == RigState.HOT
    assert rig.window.strip.detail.text()  # the guard's own sentence, with the numbers


def test_a_worker_error_event_notifies_once_per_minute(
    start_worker: Any, open_app: Any, qtbot: Any, balloons: Any
) -> None:
    start_worker("--simulate", "warm")
    rig = open_app()
    message = "GPU 0 stopped answering temperature reads"
    event = Event(rig.link.status.now, "sensor.failure", Severity.ERROR, message, seq=10_000)
    with qtbot.waitSignal(rig.notifier.notified, timeout=2000):
        rig.link.event_received.emit(event)
    qtbot.waitUntil(lambda: any(message in t for t in balloons()), timeout=3000)
    with qtbot.assertNotEmitted(rig.notifier.notified, wait=300):
        again = Event(event.ts, event.kind, event.severity, message, seq=10_001)
        rig.link.event_received.emit(again)
    assert rig.window.events.model.rowCount() >= 1


def test_charts_gain_points_as_the_worker_samples(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    start_worker("--simulate", "warm,hot", "--sim-speed", "10")
    rig = open_app()
    page = rig.window.dashboard
    chart = page.temp_chart
    qtbot.waitUntil(lambda: chart.points("core") >= 1, timeout=10_000)
    first = chart.points("core")
    qtbot.waitUntil(lambda: chart.points("core") >= first + 2, timeout=15_000)
    assert page.power_chart.points("power") >= first + 2
    assert page.cards.cards["temperature"].value.text().endswith("°C")
    # Two GPUs: a selector, and each GPU has its own live buffer.
    assert page.gpu_select.isVisible() and page.gpu_select.count() == 2
    assert "hot" in page.gpu_select.itemText(1)
    page.gpu_select.setCurrentIndex(1)
    qtbot.waitUntil(lambda: chart.points("core") >= 2, timeout=5000)
    assert page.gpu == 1


def test_range_switch_shows_the_rollups_the_api_serves(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    worker = start_worker("--simulate", "warm", "--sim-speed", "30")
    rig = open_app()
    page = rig.window.dashboard
    qtbot.waitUntil(lambda: page.temp_chart.points("core") >= 3, timeout=15_000)
    button = next(b for b in page.range_group.buttons() if b.property("range") == "1h")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    query = TelemetryQuery(gpu=0, range=TelemetryRange.HOUR_1)
    answer = worker.client.call(endpoints.TELEMETRY, query)
    assert answer.resolution != "raw"
    words = f"Showing {resolution_words(answer.resolution)}"
    qtbot.waitUntil(lambda: page.resolution_label.text() == words, timeout=5000)
    assert abs(page.temp_chart.points("core") - len(answer.points)) <= 1
    assert page.range == "1h"
    _activate(rig, qtbot)
    QTest.keyClick(page, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # "10 &min"
    qtbot.waitUntil(lambda: page.range == "10m", timeout=2000)
    qtbot.waitUntil(lambda: page.resolution_label.text() == "Showing every sample", timeout=3000)


def test_closing_hides_to_the_tray_once_noticed_and_the_tray_brings_it_back(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    start_worker("--simulate", "warm")
    rig = open_app()
    with qtbot.waitSignal(rig.notifier.notified, timeout=2000) as notice:
        rig.window.close()
    assert notice.args[0] == "RigPilot keeps running"
    assert not rig.window.isVisible()
    assert rig.tray.icon.isVisible()
    assert not rig.link._live  # hidden: no telemetry polling
    rig.tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    qtbot.waitExposed(rig.window)
    assert rig.window.isVisible()
    _activate(rig, qtbot)
    with qtbot.assertNotEmitted(rig.notifier.notified, wait=200):
        QTest.keyClick(rig.window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not rig.window.isVisible(), timeout=2000)


def test_a_second_launch_focuses_the_first_and_exits(
    start_worker: Any, open_app: Any, qtbot: Any, rigpilot_home: Any
) -> None:
    start_worker("--simulate", "warm")
    rig = open_app()
    instance = SingleInstance(rig.paths)
    assert instance.acquire()
    instance.activated.connect(rig.window.bring_to_front)
    try:
        rig.window.hide()
        env = dict(os.environ, RIGPILOT_HOME=str(rigpilot_home))
        second = subprocess.Popen(
            [sys.executable, "-m", "desktop"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=30_000)
        _, errors = second.communicate()  # reads and closes its pipes
        assert second.returncode == 0, errors
        qtbot.waitUntil(rig.window.isVisible, timeout=3000)
    finally:
        instance.release()


def test_quit_asks_whether_to_stop_the_worker_and_stops_it(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    worker = start_worker("--simulate", "warm")
    rig = open_app()
    box = rig.quit_dialog()
    texts = [b.text() for b in box.buttons()]
    assert "&Stop worker" in texts and "&Keep it running" in texts
    assert box.standardButton(box.buttons()[-1]) == QMessageBox.StandardButton.Cancel or any(
        box.standardButton(b) == QMessageBox.StandardButton.Cancel for b in box.buttons()
    )
    box.deleteLater()
    exited: list[bool] = []
    rig.exit_app = lambda: exited.append(True)
    rig.quit(stop_worker=True)
    qtbot.waitUntil(lambda: bool(exited), timeout=5000)
    worker.process.wait(15)
    assert worker.process.returncode == 0


def test_jobs_and_events_views_stay_calm_without_jobs(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    start_worker("--simulate", "warm")
    rig = open_app()
    rig.window.tabs.setCurrentWidget(rig.window.jobs)
    jobs = rig.window.jobs
    qtbot.waitUntil(lambda: jobs.empty_title.isVisible(), timeout=5000)
    assert jobs.empty_title.text() == "No jobs yet"
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    rig.window.tabs.setCurrentWidget(rig.window.events)
    events = rig.window.events
    qtbot.waitUntil(lambda: events.model.rowCount() >= 1, timeout=5000)
    kinds = [e.kind for e in events.model.events]
    assert "worker.started" in kinds
    row = kinds.index("worker.started")
    assert events.model.index(row, 2).data() == "RigPilot"  # a word, not "worker.started"
    events.filter.setCurrentIndex(2)  # errors only
    assert events.proxy.rowCount() == sum(
        1 for e in events.model.events if e.severity in ("error", "critical")
    )


def test_first_start_opens_the_setup_wizard_except_in_demo_mode(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    from desktop.ui.options import AppOptions

    start_worker("--simulate", "warm")
    demo = open_app(AppOptions(demo=True), first_run=True)
    labels = [demo.window.tabs.tabText(i) for i in range(demo.window.tabs.count())]
    assert labels == ["&Dashboard", "&Jobs", "&Events", "&Networks", "Mone&y", "Se&ttings"]
    qtbot.wait(300)
    assert demo.pages.wizard is None
    demo.window.hide()
    first = open_app(first_run=True)
    qtbot.waitUntil(lambda: first.pages.wizard is not None and first.pages.wizard.isVisible())
    first.pages.wizard.reject()


def test_the_theme_setting_switches_palettes_and_chart_colours(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    from PySide6.QtGui import QPalette

    from desktop.ui import theme

    worker = start_worker("--simulate", "warm")
    rig = open_app()

    def window_colour() -> str:
        return str(QApplication.palette().color(QPalette.ColorRole.Window).name())

    for choice, expected in (("dark", theme.DARK), ("light", theme.LIGHT)):
        # a settings.changed event follows
        worker.client.call(endpoints.PATCH_SETTINGS, {"ui.theme": choice})
        qtbot.waitUntil(lambda e=expected: window_colour() == e.window, timeout=5000)
        assert rig.theme is expected
        background = rig.window.dashboard.temp_chart.plot.backgroundBrush().color().name()
        assert background == expected.card


def test_the_pages_corner_button_is_shown_with_the_extra_tabs(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    start_worker("--simulate", "warm")
    rig = open_app()
    corner = rig.window.tabs.cornerWidget()
    assert corner is not None
    qtbot.waitUntil(corner.isVisible, timeout=2000)


def test_the_chart_draws_the_limits_in_force_and_the_vram_pause_limit_where_reported(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    """GPU 0 (a workstation card) reports its VRAM temperature, GPU 1 (a GeForce) does not."""
    worker = start_worker("--simulate", "hot,warm")
    rig = open_app()
    page = rig.window.dashboard
    chart = page.temp_chart
    hot = worker.status().gpus[0].thermal
    assert hot is not None and hot.vram_temperature_reported
    qtbot.waitUntil(lambda: chart.limit("mem_pause") == hot.limits.mem_pause_c, timeout=10_000)
    assert (chart.limit("soft"), chart.limit("pause")) == (hot.limits.soft_c, hot.limits.pause_c)
    assert "VRAM pause limit" in chart.header.text()
    page.gpu_select.setCurrentIndex(1)
    qtbot.waitUntil(lambda: chart.limit("mem_pause") is None, timeout=10_000)
    assert "VRAM pause limit" not in chart.header.text()


def test_pause_until_tomorrow_in_the_tray_is_six_in_the_morning(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    from datetime import datetime

    from desktop.views.text import MORNING_HOUR, clock

    worker = start_worker("--simulate", "warm")
    rig = open_app()
    _open_tray_menu(rig, qtbot)
    action = rig.tray.action("Pause until tomorrow")
    assert action is not None
    QTest.keyClick(rig.tray.menu, Qt.Key.Key_T)  # "Pause until &tomorrow (06:00)"
    qtbot.waitUntil(lambda: paused_all(worker), timeout=2000)
    status = worker.status()
    (hold,) = status.user_holds
    assert hold.until is not None and 0 < hold.until - status.now <= 24 * 3600
    morning = datetime.fromtimestamp(hold.until)
    assert (morning.hour, morning.minute, morning.second) == (MORNING_HOUR, 0, 0)
    assert clock(hold.until, status.now) in action.text()  # the time shown is the time sent
