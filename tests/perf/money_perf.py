"""Money figures of issue 15, from a 120-day ledger made here (tests/money_ledger.py):

- the history answer (120 days, four networks, valued with the hourly rollup and rates);
- one weekly and one monthly chart drawn from it (data in, widget painted), each < 50 ms.

    .venv/bin/python tests/perf/money_perf.py        # prints the figures as JSON
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _best(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(quick: bool = False) -> dict[str, dict[str, Any]]:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from desktop.ipc.schema_money import HistoryQuery
    from desktop.money.valuation import Tariff
    from desktop.ui.money_charts import NetChart, UseChart
    from desktop.worker.money_api import MoneyApi
    from desktop.worker.supervisor_money import NetworkMoney
    from tests import money_ledger as gen

    runs = 5 if quick else 15
    with tempfile.TemporaryDirectory() as tmp:
        ledger = gen.build(Path(tmp) / "ledger.sqlite")
        tariff = Tariff(price_per_kwh=gen.PRICE, currency="EUR")
        money = NetworkMoney(ledger, lambda e: None, lambda: tariff, lambda: gen.NOW)
        api = MoneyApi(money, ledger, {}.get, lambda: [], None, lambda: gen.NOW)
        query = HistoryQuery(days=gen.DAYS)
        answer = api.history_now(query)
        history_ms = _best(lambda: api.history_now(query), runs)
        ledger.close()
    app = QApplication.instance() or QApplication([])
    chart, use = NetChart(), UseChart()
    chart.resize(900, 260)
    chart.show()
    use.resize(900, 260)
    use.show()
    app.processEvents()

    def draw(grain: str) -> None:
        chart.show_history(answer, grain)
        chart.grab()  # paints the widget now

    week_ms = _best(lambda: draw("week"), runs)
    month_ms = _best(lambda: draw("month"), runs)
    use_ms = _best(lambda: (use.show_history(answer), use.grab()), runs)
    return {
        "money history answer, 120 days": {"value": round(history_ms, 1), "unit": "ms",
                                           "target": "(informative)"},
        "weekly net chart drawn, 120 days": {"value": round(week_ms, 1), "unit": "ms",
                                             "target": "< 50"},
        "monthly net chart drawn, 120 days": {"value": round(month_ms, 1), "unit": "ms",
                                              "target": "< 50"},
        "utilisation/reputation chart drawn": {"value": round(use_ms, 1), "unit": "ms",
                                               "target": "< 50"},
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(measure(quick="--quick" in sys.argv), indent=2))
