"""The Settings page against a real worker: bad values are refused in place with the allowed
range, nothing is saved (checked through the API), and a good change shows what the worker
applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desktop.ipc import endpoints


@pytest.fixture
def page(qtbot: Any, display: str, start_worker: Callable[..., Any]) -> Any:
    from desktop.ui.settings_page import SettingsPage

    worker = start_worker("--simulate", "warm")
    settings_page = SettingsPage(worker.client)
    settings_page.worker = worker
    qtbot.addWidget(settings_page)
    settings_page.resize(900, 800)
    with qtbot.waitSignal(settings_page.loaded, timeout=10_000):
        settings_page.show()
    return settings_page


def save_and_wait(qtbot: Any, page: Any, signal: str) -> list[Any]:
    from PySide6.QtCore import Qt

    with qtbot.waitSignal(getattr(page, signal), timeout=10_000) as blocker:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    return list(blocker.args)


def in_force(page: Any) -> dict[str, Any]:
    return dict(page.worker.client.call(endpoints.SETTINGS).settings)


@pytest.mark.parametrize(
    ("key", "typed", "words"),
    [
        ("electricity.price_per_kwh", "-0.2", "must be a number from 0 to 5 per kWh (got -0.2)"),
        ("thermal.pause_limit_c", "hot", "must be a number from 55 to 100 °C"),
        ("thermal.cooldown_s", "", "(got '')"),
    ],
)
def test_bad_number_is_refused_in_place(
    qtbot: Any, page: Any, key: str, typed: str, words: str
) -> None:
    before = in_force(page)
    editor = page.editors[key]
    if editor.auto is not None:
        editor.auto.setChecked(False)
    editor.edit.setText(typed)
    field, message = save_and_wait(qtbot, page, "refused")
    assert field == key and words in message
    assert editor.problem.isVisible() and words in editor.problem.text()
    assert "Allowed:" in editor.problem.text() or "from" in editor.problem.text()
    assert "previous settings stay in force" in page.status.text()
    assert editor.edit.text() == typed, "the user's input stays there to be corrected"
    assert in_force(page) == before


def test_pause_limit_cross_checks(qtbot: Any, page: Any) -> None:
    before = in_force(page)
    page.editors["thermal.pause_limit_c"].auto.setChecked(False)
    page.editors["thermal.pause_limit_c"].edit.setText("80")
    page.editors["thermal.resume_limit_c"].auto.setChecked(False)
    page.editors["thermal.resume_limit_c"].edit.setText("78")
    field, message = save_and_wait(qtbot, page, "refused")
    assert field == "thermal.resume_limit_c" and "more than 5 °C below" in message
    assert page.editors["thermal.resume_limit_c"].problem.isVisible()
    assert in_force(page) == before, "the pause limit typed with it was not saved either"


def test_pause_limit_above_the_cards_slowdown_is_refused(qtbot: Any, page: Any) -> None:
    before = in_force(page)
    editor = page.editors["thermal.pause_limit_c"]
    editor.auto.setChecked(False)
    editor.edit.setText("97")  # the simulated card slows itself at 95 °C
    field, message = save_and_wait(qtbot, page, "refused")
    assert field == "thermal.pause_limit_c" and "95" in message
    assert in_force(page) == before


def test_overlapping_windows_are_refused(qtbot: Any, page: Any) -> None:
    before = in_force(page)
    windows = page.editors["schedule.windows"]
    first = windows.add_row({"days": [0, 1], "start": "08:00", "end": "12:00"})
    second = windows.add_row({"days": [1], "start": "11:00", "end": "14:00"})
    assert first.value()["days"] == [0, 1] and second.value()["start"] == "11:00"
    field, message = save_and_wait(qtbot, page, "refused")
    assert field == "schedule.windows"
    assert message == "schedule windows 1 and 2 overlap on Tuesday at 11:00"
    assert windows.problem.isVisible() and "windows that do not overlap" in windows.problem.text()
    assert in_force(page) == before


def test_good_changes_are_saved_and_confirmed(qtbot: Any, page: Any) -> None:
    page.editors["electricity.price_per_kwh"].edit.setText("0,31")
    page.editors["thermal.pause_limit_c"].auto.setChecked(False)
    page.editors["thermal.pause_limit_c"].edit.setText("82")
    page.editors["gaming.games"].edit.setPlainText("witcher3.exe\n\neldenring.exe\n")
    windows = page.editors["schedule.windows"]
    row = windows.add_row({"days": [5, 6], "start": "9:30", "end": "1800"})
    assert row.value() == {"days": [5, 6], "start": "09:30", "end": "18:00"}
    (applied,) = save_and_wait(qtbot, page, "saved")
    assert set(applied) == {
        "electricity.price_per_kwh",
        "thermal.pause_limit_c",
        "gaming.games",
        "schedule.windows",
    }
    now = in_force(page)
    assert now["electricity.price_per_kwh"] == 0.31 and now["thermal.pause_limit_c"] == 82
    assert now["gaming.games"] == ["witcher3.exe", "eldenring.exe"]
    assert now["schedule.windows"] == [{"days": [5, 6], "start": "09:30", "end": "18:00"}]
    text = page.status.text()
    assert text.startswith("Saved. The worker applied:") and "Pause at = 82 °C" in text
    assert page.changes() == {}, "the editors now show what the worker confirmed"
    page.save()
    assert "Nothing to save" in page.status.text()


def test_card_limits_are_shown(qtbot: Any, page: Any) -> None:
    qtbot.waitUntil(lambda: page.card.isVisible(), timeout=5000)
    assert "slows itself at 95 °C and shuts down at 98 °C" in page.card.text()


def test_screenshot_of_a_refusal_in_place(qtbot: Any, page: Any, qapp: Any) -> None:
    from pathlib import Path

    from PySide6.QtWidgets import QScrollArea

    from desktop.ui import theme

    palette, style, sheet = qapp.palette(), qapp.style().name(), qapp.styleSheet()
    theme.apply(qapp, theme.DARK)
    try:
        editor = page.editors["electricity.price_per_kwh"]
        editor.edit.setText("-1")
        save_and_wait(qtbot, page, "refused")
        page.findChildren(QScrollArea)[0].ensureWidgetVisible(editor)
        qtbot.wait(250)
        shots = Path(__file__).resolve().parents[2] / "resources" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        assert page.grab().save(str(shots / "settings-refused.png"))
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setStyleSheet(sheet)


def test_the_page_speaks_the_windows_words(qtbot: Any, page: Any) -> None:
    """The limits in force under "Auto", the field's name and "Auto" in a refusal (never
    "thermal.pause_limit_c … or null"), and a placeholder that fits each list."""
    pause = page.editors["thermal.pause_limit_c"]
    qtbot.waitUntil(lambda: pause.auto.text() == "Auto (85 °C for this card)", timeout=10_000)
    assert pause.edit.placeholderText() == "85" and not pause.edit.isEnabled()
    vram = page.editors["thermal.memory_pause_limit_c"]
    assert vram.auto.text() == "Auto (from the card)"  # this card reports no VRAM temperature
    assert "or Auto" in pause.toolTip() and "null" not in pause.toolTip()
    pause.auto.setChecked(False)
    assert pause.edit.text() == "85"  # unticking Auto starts from the limit in force
    pause.edit.setText("200")
    field, _message = save_and_wait(qtbot, page, "refused")
    shown = pause.problem.text()
    assert field == "thermal.pause_limit_c"
    assert shown.startswith("Pause at must be a number from 55 to 100 °C, or Auto (got 200)")
    assert "null" not in shown and "thermal." not in shown and "`" not in shown
    images = page.editors["jobs.allowed_local_images"].edit.placeholderText()
    games = page.editors["gaming.games"].edit.placeholderText()
    assert "busybox" in images and "witcher3" not in images and "witcher3" in games
