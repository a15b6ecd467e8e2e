"""README screenshots of the Money page: history (weeks of net per network, utilisation and
reputation), ROI with its what-if, and the estimates before enrolling.

A 120-day ledger (tests/money_ledger.py, moved to end yesterday) under a simulated
worker, the user's currency EUR and a card that cost 700 EUR. The PNGs land in
resources/screenshots/ (dark theme).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect

from desktop.ipc import endpoints
from tests import money_ledger as gen

OUT = Path(__file__).resolve().parents[2] / "resources" / "screenshots"


def test_money_screenshots(
    start_worker: Any, open_app: Any, qtbot: Any, rigpilot_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("RIGPILOT_THEME", "dark")
    worker = start_worker("--simulate", "warm")
    # the history ends on the worker's own today (its clock), whatever the date
    today = dt.date.fromtimestamp(worker.status().now)
    first = today - dt.timedelta(days=gen.DAYS)
    gen.build(rigpilot_home / "data" / "ledger.sqlite", first).close()
    worker.client.call(
        endpoints.PATCH_SETTINGS,
        {"electricity.currency": "EUR", "electricity.price_per_kwh": 0.30,
         "roi.card_cost": 700, "roi.purchase_date": first.isoformat()},
    )  # fmt: skip
    rig = open_app()
    window = rig.window
    window.resize(1280, 1000)
    tabs = window.tabs
    page = next(tabs.widget(i) for i in range(tabs.count()) if tabs.tabText(i) == "Mone&y")
    tabs.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.history is not None and page.roi is not None, timeout=15_000)
    qtbot.waitUntil(lambda: page.estimates.answer is not None, timeout=15_000)
    page.estimates.show_answer(
        worker.client.call(endpoints.ESTIMATES, endpoints.m.EstimatesQuery(gpu="RTX 3090"))
    )
    qtbot.wait(500)
    OUT.mkdir(parents=True, exist_ok=True)
    history = window.grab()
    assert history.save(str(OUT / "money-history.png"))
    page.price_slider.setValue(-30)
    qtbot.waitUntil(lambda: page.roi is not None and page.roi.what_if, timeout=10_000)
    qtbot.wait(300)
    top = page.roi_text.geometry().top() - 40
    bottom = page.card_cost.geometry().bottom() + 8
    roi = page.roi_text.parentWidget().grab(QRect(0, top, 760, bottom - top))
    assert roi.save(str(OUT / "money-roi.png"))
    estimates = page.estimates.grab()
    assert estimates.save(str(OUT / "money-estimates.png"))
