"""The Qt-free parts of the app: series arithmetic, earnings history, notifications, options
(the words of the rig are desktop.views', tested in tests/unit/views)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np
import pytest

from desktop.ipc.schema import EarningsTotals, MoneyFigures
from desktop.ipc.schema_data import EarningsAnswer, SettingsAnswer, TelemetryAnswer
from desktop.model import Event, Severity
from desktop.settings import DEFAULTS, schema_json
from desktop.ui.dashboard import series
from desktop.ui.dashboard.earnings import EarningsHistory, weekly_curves
from desktop.ui.dashboard.ring_buffer import RingBuffer
from desktop.ui.notifications import RateLimiter, notification_for
from desktop.ui.options import AppOptions, OptionsError, parse_options
from tests import api_samples as sample

NOW = sample.NOW


def test_ring_buffer_keeps_the_newest_in_order() -> None:
    buf = RingBuffer(4, ("a",))
    buf.extend([(float(i), float(i) * 10) for i in range(3)])
    buf.extend([(3.0, None), (4.0, 40.0), (5.0, 50.0)])
    assert list(buf.ts()) == [2.0, 3.0, 4.0, 5.0]
    col = buf.column("a")
    assert col[0] == 20.0 and np.isnan(col[1]) and buf.last("a") == 50.0
    assert len(buf) == 4 and buf.last_ts() == 5.0


def test_earnings_today_from_credits_then_status_snapshots() -> None:
    history = EarningsHistory()
    midnight = datetime.fromtimestamp(NOW).replace(hour=0, minute=0, second=0).timestamp()
    t = midnight + 3600
    for i, usd in enumerate(("0.5", "0.25")):
        data = {"job_id": f"j{i}", "amount": "1", "unit": "DEMO", "usd": usd}
        event = Event(t + i * 60, "network.earned", Severity.INFO, "demo: +1", None, "demo", data)
        assert history.add_event(event)
    assert not history.add_event(Event(t, "job.finished", Severity.INFO, "done"))
    one = MoneyFigures(
        currency="USD", gross=Decimal(1), energy_kwh=Decimal(0), electricity=Decimal("0.2"),
        net=Decimal("0.8"),
    )  # fmt: skip
    totals = EarningsTotals(**msgspec.structs.asdict(one), networks={"demo": one})
    history.add_status(t + 300, totals)
    curves = history.today_curves(t - 60, t + 600)
    x, y = curves["demo"]
    assert list(y) == [0.0, 0.5, 0.5, 0.75, 1.0] and x[-1] == t + 300
    assert list(curves["net"][1]) == [0.8]
    assert history.pay_by_job == {"j0": 0.5, "j1": 0.25}


def test_weekly_curves_add_up_the_days() -> None:
    def day(date: str, gross: str, net: str) -> dict[str, Any]:
        return {
            "date": date, "network": "nosana", "currency": "USD", "gross": gross, "net": net,
            "energy_kwh": "0", "electricity": "0", "running_hours": "1",
        }  # fmt: skip

    answer = msgspec.convert(
        {
            "days": [day("2026-01-01", "1", "0.5"), day("2026-01-02", "2", "1.5")],
            "totals": sample.to_json(sample.totals()),
            "tariff": {"price_per_kwh": "0", "system_overhead_w": "0", "currency": "USD"},
        },
        EarningsAnswer,
    )
    curves = weekly_curves(answer, now=datetime(2026, 1, 2, 12).timestamp())
    assert list(curves["nosana"][1]) == [0.0, 1.0, 1.0, 3.0]
    assert list(curves["net"][1]) == [0.0, 0.5, 0.5, 2.0]
    assert curves["nosana"][0][-1] == datetime(2026, 1, 2, 12).timestamp()


def settings(**values: Any) -> SettingsAnswer:
    body = {"settings": {**DEFAULTS, **values}, "schema": schema_json(), "warnings": []}
    return msgspec.convert(body, SettingsAnswer)


def test_thermal_limits_prefer_the_guards_then_settings_then_card_defaults() -> None:
    guarded = sample.status()
    assert series.thermal_limits(settings(), guarded) == (80.0, 85.0)  # the guard's own
    unguarded = sample.status(gpus=[sample.gpu(thermal=None)])
    chosen = settings(**{"thermal.soft_limit_c": 70, "thermal.pause_limit_c": 78})
    assert series.thermal_limits(chosen, unguarded) == (70.0, 78.0)
    auto = settings(**{"thermal.soft_limit_c": None, "thermal.pause_limit_c": None})
    assert series.thermal_limits(auto, unguarded) == (80.0, 85.0)  # card defaults (93 °C)
    assert series.thermal_limits(None, None) == (75.0, 80.0)  # nothing known: the fallbacks


def test_telemetry_arrays_from_a_rollup_answer() -> None:
    def point(ts: float, core: float, peak: float, power: float | None) -> dict[str, Any]:
        return {
            "ts": ts, "gpu_index": 0, "core_temp_c": core, "core_temp_max_c": peak,
            "power_w": power, "mem_temp_c": None, "power_limit_w": None,
            "gpu_util_pct": None, "fan_pct": None, "energy_j": None, "samples": 60,
        }  # fmt: skip

    answer = msgspec.convert(
        {
            "gpu": 0,
            "resolution": "1m",
            "source": "ledger",
            "points": [point(120.0, 70.0, 72.0, 200.0), point(60.0, 60.0, 61.0, None)],
        },
        TelemetryAnswer,
    )
    arrays = series.TelemetryArrays.from_answer(answer)
    assert list(arrays.ts) == [60.0, 120.0]
    assert list(arrays.columns["core_max"]) == [61.0, 72.0]
    assert series.resolution_words(arrays.resolution) == "1-minute averages"


def test_rate_limiter_per_kind_and_per_window() -> None:
    limiter = RateLimiter()
    t = NOW
    assert limiter.allow("guard.pause", t)
    assert not limiter.allow("guard.pause", t + 30)
    assert limiter.allow("guard.pause", t + 61)
    assert all(limiter.allow(f"k{i}", t + 62 + i) for i in range(3))
    assert not limiter.allow("another", t + 70)  # five in ten minutes
    assert limiter.allow("another", t + 601)


def test_which_events_notify() -> None:
    def kind(k: str, severity: str = "info", **data: Any) -> Event:
        return Event(NOW, k, Severity(severity), "m", data=data)

    assert notification_for(kind("guard.pause", "warning", action="pause", source="thermal"))
    assert notification_for(kind("guard.pause", action="pause", source="user")) is None
    assert notification_for(kind("guard.stop", action="stop", source="activity")) is None
    assert notification_for(kind("guard.run", action="run", source="thermal")) is None
    restore = kind("guard.restore_power_limit", action="restore_power_limit", source="arbiter")
    assert notification_for(restore) is None
    assert notification_for(kind("guard.kill", "critical"))[2] == "error"  # type: ignore[index]
    assert notification_for(kind("worker.started")) is None
    assert notification_for(kind("worker.docker_lost", "error"))
    assert notification_for(kind("job.finished"))
    assert notification_for(kind("network.enroll_failed"))[2] == "error"  # type: ignore[index]
    assert notification_for(kind("user.pause")) is None


def test_app_options() -> None:
    assert parse_options(["--demo"]).worker_args() == ["--demo", "--sim-speed", "10"]
    opts = parse_options(["--simulate", "hot", "--sim-speed", "30", "--minimized"])
    assert opts == AppOptions(False, "hot", 30.0, True)
    with pytest.raises(OptionsError, match="unknown option '--nope'"):
        parse_options(["--nope"])
    with pytest.raises(OptionsError, match="--sim-speed must be between"):
        parse_options(["--sim-speed", "0"])
