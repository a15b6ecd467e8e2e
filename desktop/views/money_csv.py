"""Every earning as CSV, for taxes and spreadsheets (``rigpilot earnings --csv`` and the
app's Export button write the same bytes).

One row per earning: its date and time, network, job, kind, native amount and unit, the
USD rate kept with it, the rate to the user's currency when earned and its value then. One
row per day and network for electricity (kind "electricity", amount in kWh). The value
column summed over real rows is the report's gross; the electricity column, its
electricity. Practice rows say "practice $" and are in neither sum.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from desktop.ipc.schema_money import EarningRowsAnswer
from desktop.money.units import PRACTICE

HEADER = [
    "date", "time_utc", "network", "job_id", "kind", "amount", "unit", "usd_rate",
    "rate", "value", "currency", "electricity", "practice",
]  # fmt: skip


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def earnings_csv(answer: EarningRowsAnswer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for r in answer.rows:
        when = dt.datetime.fromtimestamp(r.ts, dt.UTC).strftime("%H:%M:%S")
        writer.writerow(
            [
                r.date, when, r.network, r.job_id or "", r.kind, _text(r.amount), r.unit,
                _text(r.usd_rate), _text(r.rate), _text(r.value),
                PRACTICE if r.practice else answer.currency, "", "yes" if r.practice else "no",
            ]
        )  # fmt: skip
    for e in answer.electricity:
        writer.writerow(
            [
                e.date, "", e.network, "", "electricity", _text(e.energy_kwh), "kWh", "", "",
                "", PRACTICE if e.practice else answer.currency, _text(e.cost),
                "yes" if e.practice else "no",
            ]
        )  # fmt: skip
    return out.getvalue()
