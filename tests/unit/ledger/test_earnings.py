"""Earnings: exactly once, exact Decimal sums, local days, energy beside the pay."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from desktop.ledger import Ledger
from desktop.model import JobRecord, JobState, Money

NOON = datetime(2025, 3, 10, 12, 0, tzinfo=UTC).timestamp()


def _earn(
    ledger: Ledger,
    key: str,
    amount: str,
    ts: float,
    *,
    kind: str = "job",
    job_id: str | None = None,
    usd_rate: Decimal | None = None,
) -> bool:
    return ledger.record_earning(
        key, "demo", kind, Money(Decimal(amount), "DEMO"), ts, job_id, usd_rate
    )


def test_same_key_is_recorded_once(ledger: Ledger) -> None:
    assert _earn(ledger, "demo:j1:1", "1.25", NOON, usd_rate=Decimal("2")) is True
    assert _earn(ledger, "demo:j1:1", "1.25", NOON, usd_rate=Decimal("2")) is False
    assert _earn(ledger, "demo:j1:1", "9.99", NOON) is False  # a different payload: first kept
    rows = ledger.earnings()
    assert len(rows) == 1
    assert rows[0].money == Money(Decimal("1.25"), "DEMO", Decimal("2.50"))
    assert rows[0].usd_rate == Decimal("2")


def test_usd_comes_from_rate_or_money(ledger: Ledger) -> None:
    ledger.record_earning("a", "n", "uptime", Money(Decimal("3"), "X", Decimal("0.30")), NOON)
    ledger.record_earning("b", "n", "bonus", Money(Decimal("3"), "X"), NOON)
    by_key = {e.idem_key: e for e in ledger.earnings()}
    assert by_key["a"].money.usd == Decimal("0.30")
    assert by_key["b"].money.usd is None


def test_bad_earnings_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="kind"):
        _earn(ledger, "k", "1", NOON, kind="Job Payment!")
    with pytest.raises(ValueError, match="finite"):
        _earn(ledger, "k", "NaN", NOON)
    with pytest.raises(ValueError, match="idempotency key"):
        _earn(ledger, "", "1", NOON)
    assert ledger.earnings() == []


def test_sums_are_exact_decimals(ledger: Ledger) -> None:
    for i in range(10):
        ledger.record_earning(
            f"k{i}", "demo", "job", Money(Decimal("0.1"), "DEMO", Decimal("0.1")), NOON + i
        )
    days = ledger.earnings_by_day(1, tz=UTC, now=NOON + 100)
    assert days[0].gross_usd == Decimal("1.0")  # a float sum would give 0.9999999999999999
    assert days[0].amounts == {"DEMO": Decimal("1.0")}
    assert ledger.today_usd(tz=UTC, now=NOON + 100) == Decimal("1.0")


def test_earnings_by_day_groups_local_days_and_networks(ledger: Ledger) -> None:
    paris = ZoneInfo("Europe/Paris")  # UTC+1 in March
    late = datetime(2025, 3, 9, 23, 30, tzinfo=UTC).timestamp()  # 00:30 on the 10th in Paris
    ledger.record_earning("a", "demo", "job", Money(Decimal("1"), "DEMO", Decimal("1")), late)
    ledger.record_earning("b", "demo", "job", Money(Decimal("2"), "DEMO", Decimal("2")), NOON)
    ledger.record_earning("c", "nosana", "job", Money(Decimal("5"), "NOS"), NOON)
    ledger.record_earning(
        "old", "demo", "job", Money(Decimal("7"), "DEMO", Decimal("7")), NOON - 9 * 86400
    )

    in_utc = ledger.earnings_by_day(2, tz=UTC, now=NOON + 60)
    assert [(d.date, d.network, d.gross_usd) for d in in_utc] == [
        (date(2025, 3, 9), "demo", Decimal("1")),
        (date(2025, 3, 10), "demo", Decimal("2")),
        (date(2025, 3, 10), "nosana", Decimal("0")),
    ]
    assert in_utc[2].unpriced == 1 and in_utc[2].amounts == {"NOS": Decimal("5")}

    in_paris = ledger.earnings_by_day(1, tz=paris, now=NOON + 60)
    assert {(d.network, d.gross_usd) for d in in_paris} == {
        ("demo", Decimal("3")),
        ("nosana", Decimal(0)),
    }
    assert in_paris[0].to_json()["date"] == "2025-03-10"
    assert ledger.usd_by_network() == {"demo": Decimal("10")}
    with pytest.raises(ValueError):
        ledger.earnings_by_day(0)


def test_job_earning_credits_the_job_pay(ledger: Ledger) -> None:
    ledger.upsert_job(JobRecord("j1", "demo", "img@sha256:abc", JobState.RUNNING, None, NOON))
    _earn(ledger, "demo:j1:1", "1.5", NOON, job_id="j1", usd_rate=Decimal("1"))
    _earn(ledger, "demo:j1:1", "1.5", NOON, job_id="j1", usd_rate=Decimal("1"))  # replay
    _earn(ledger, "demo:j1:2", "0.5", NOON, job_id="j1", usd_rate=Decimal("1"))
    _earn(ledger, "demo:j1:bonus", "9", NOON, job_id="j1", kind="bonus")
    job = ledger.job("j1")
    assert job is not None and job.pay == Money(Decimal("2.0"), "DEMO", Decimal("2.0"))


def test_energy_is_reported_beside_the_pay(ledger: Ledger) -> None:
    start = datetime(2025, 3, 9, 23, 0, tzinfo=UTC).timestamp()
    period = ledger.start_energy_period("GPU-1", "demo", start, counter_j=1000.0)
    ledger.energy_tick(period, start + 1800, counter_j=1000.0 + 180_000)  # 100 W for 30 min
    total = ledger.end_energy_period(period, start + 7200, power_w=100.0)  # no counter: P*t
    assert total == pytest.approx(720_000.0)
    days = ledger.earnings_by_day(2, tz=UTC, now=NOON)
    # 0.2 kWh over two hours across midnight: spread in proportion to time.
    assert [(d.date, round(d.energy_kwh, 4), d.running_s) for d in days] == [
        (date(2025, 3, 9), 0.1, 3600.0),
        (date(2025, 3, 10), 0.1, 3600.0),
    ]
    assert days[0].gross_usd == 0 and days[0].amounts == {}
