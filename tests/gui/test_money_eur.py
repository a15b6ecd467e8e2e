"""A user with a EUR price: gross, electricity and net in EUR in the dashboard's card, the
earnings chart, the tray tooltip, the Money page, ``rigpilot status`` and ``rigpilot
earnings``, agreeing to the cent (a real worker, the real app, the real CLI)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ledger import Ledger
from desktop.ledger.money import StoredRate
from desktop.model import Money
from desktop.paths import Paths
from desktop.views import money

GROSS, ELECTRICITY, NET = "1.11 EUR", "0.15 EUR", "0.96 EUR"


def seed(home: Path, now: float) -> None:
    """Pay of 1.2345 USD today and 0.5 kWh of a network's GPU time; 1 USD = 0.90 EUR.

    ``now`` is the running worker's own clock (its status), so "today" is the worker's
    day, whatever the date; the ledger takes the writes beside the worker (SQLite WAL)."""
    paths = Paths(home / "config", home / "data", home / "logs", home / "run").ensure()
    with Ledger.open(paths.ledger_file) as ledger:
        ledger.record_rates([StoredRate("USD", "EUR", Decimal("0.90"), now, "api")])
        pay = Money(Decimal("1.2345"), "USD", Decimal("1.2345"))
        ledger.record_earning("nosana:j1:pay", "nosana", "job", pay, now - 60, "j1")
        period = ledger.start_energy_period("GPU-0", "nosana", now - 1800)
        ledger.end_energy_period(period, now - 600, None, 1500.0)  # 1500 W x 20 min = 0.5 kWh


def midday_zone(now: float) -> str:
    """A POSIX zone in which ``now`` is about noon. The seed's pay and its 20 minutes of
    energy before ``now`` must fall on the worker's "today" at any hour the suite runs; a
    run at 00:09 put the energy on yesterday."""
    east = 12 - int(now // 3600) % 24  # hours east of UTC, -11 to 12
    return f"RPT{-east:+d}"  # POSIX: a name of 3 letters, then hours west of UTC


@pytest.fixture
def at_midday(start_worker: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Any]]:
    """Start the worker (and everything after it: the CLI, the app) in a zone where it is
    about noon: a first worker tells the time, the second runs in that zone."""

    def start() -> Any:
        first = start_worker("--simulate", "warm")
        zone = midday_zone(first.status().now)
        first.process.send_signal(signal.SIGTERM)
        first.process.wait(15)
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        return start_worker("--simulate", "warm")

    yield start
    monkeypatch.undo()
    time.tzset()


def eur(worker: Any) -> None:
    worker.client.call(
        endpoints.PATCH_SETTINGS,
        {"electricity.currency": "EUR", "electricity.price_per_kwh": 0.30,
         "electricity.system_overhead_w": 0},
    )  # fmt: skip


def cli(home: Path, *args: str) -> str:
    env = dict(os.environ, RIGPILOT_HOME=str(home), COLUMNS="140")
    done = subprocess.run(
        [sys.executable, "-m", "desktop", *args], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_cli_shows_eur_everywhere_and_agrees(
    at_midday: Callable[[], Any], rigpilot_home: Path
) -> None:
    worker = at_midday()
    seed(rigpilot_home, worker.status().now)
    eur(worker)  # (a change of the money settings also drops the worker's cached today)
    status = cli(rigpilot_home, "status")
    assert f"Earned today: {GROSS} gross, {ELECTRICITY} electricity, {NET} net" in status
    table = cli(rigpilot_home, "earnings", "--days", "1")
    total = next(line for line in table.splitlines() if line.startswith("total"))
    assert total.split() == ["total", "1.11", "EUR", "1.11", "EUR", "0.500", "0.15", "EUR",
                             "0.96", "EUR"]  # fmt: skip
    assert "$" not in table.split("\n\n")[0]


def test_the_app_shows_eur_everywhere_and_agrees(
    at_midday: Callable[[], Any], open_app: Any, qtbot: Any, rigpilot_home: Path
) -> None:
    worker = at_midday()
    seed(rigpilot_home, worker.status().now)
    eur(worker)  # (a change of the money settings also drops the worker's cached today)
    rig = open_app()
    page = rig.window.dashboard
    card = page.cards.cards["today"]
    qtbot.waitUntil(lambda: card.value.text() == GROSS, timeout=10_000)
    assert card.note.text() == f"{ELECTRICITY} electricity · net {NET}"
    totals = worker.status().earnings_today
    assert money.today_line(totals) == f"{GROSS} gross, {ELECTRICITY} electricity, {NET} net"
    qtbot.waitUntil(lambda: money.today_line(totals) in rig.tray.icon.toolTip(), timeout=5000)
    assert page.earn_chart._unit == "EUR" and NET in page.earn_chart.note.text()
    tabs = rig.window.tabs
    money_page = next(tabs.widget(i) for i in range(tabs.count()) if tabs.tabText(i) == "Mone&y")
    tabs.setCurrentWidget(money_page)
    qtbot.waitUntil(lambda: money_page.history is not None, timeout=10_000)
    text = money_page.summary.text()
    assert GROSS in text and ELECTRICITY in text and NET in text and "$" not in text
    assert "1 USD = 0.90 EUR (price API" in money_page.rates.text()
    qtbot.waitUntil(lambda: money_page.roi is not None, timeout=10_000)
    assert "0.96 EUR" in money_page.roi_text.text()
    # the CSV button's file: its sums are the same figures
    target = rigpilot_home / "export.csv"
    money_page.export_to(target, days=1)
    qtbot.waitUntil(target.exists, timeout=10_000)
    rows = target.read_text().splitlines()
    assert rows[0].startswith("date,time_utc,network") and len(rows) == 3
