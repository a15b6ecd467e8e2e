"""The Qt-free parts of the app: the status sentence, number formats, series arithmetic."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import numpy as np
import pytest

from desktop.ui import text
from desktop.ui.dashboard import series
from desktop.ui.dashboard.earnings import EarningsHistory, weekly_curves
from desktop.ui.dashboard.ring_buffer import RingBuffer
from desktop.ui.notifications import RateLimiter, notification_for
from desktop.ui.options import AppOptions, OptionsError, parse_options
from desktop.ui.rig_state import RigState, describe

NOW = 1_800_000_000.0


def gpu(temp: float = 74.0, action: str = "run", source: str = "none", **extra: Any) -> dict:
    return {
        "info": {"index": 0, "name": "RTX 3080", "uuid": "GPU-1"},
        "sample": {"core_temp_c": temp},
        "degraded": extra.pop("degraded", False),
        "guard": {"action": action, "source": source, "reason": extra.pop("reason", "")},
        "power_limit_w": extra.pop("power_limit_w", 320.0),
    }


def status(**kw: Any) -> dict:
    base = {
        "paused": {"all": False, "until_ts": None, "reason": ""},
        "gpus": [gpu()],
        "networks": [],
        "jobs_running": 0,
    }
    base.update(kw)
    return base


PRACTICE = {"network": "demo", "display_name": "Practice network", "enrolled": True}


def test_earning_names_the_network_and_the_temperature() -> None:
    s = status(networks=[dict(PRACTICE, state="busy")], jobs_running=1)
    h = describe(s, connected=True, now=NOW)
    assert (h.state, h.text) == (RigState.EARNING, "Earning on Practice network · 74 °C")


def test_paused_by_the_user_until_a_time() -> None:
    until = datetime.fromtimestamp(NOW).replace(hour=21, minute=0).timestamp()
    if until <= NOW:
        until += 86400
    s = status(paused={"all": True, "until_ts": until, "reason": ""})
    h = describe(s, connected=True, now=NOW)
    assert h.state == RigState.PAUSED
    assert h.text == f"Paused by you until {text.clock(until, NOW)}"


def test_hot_takes_the_limit_from_the_guards_own_sentence() -> None:
    reason = "GPU at 61 °C, above your soft limit of 50 °C: power limit lowered to 288 W."
    s = status(gpus=[gpu(61, "throttle", "thermal", power_limit_w=320.0, reason=reason)])
    h = describe(s, connected=True, now=NOW)
    assert h.text == "Hot: power limit lowered to 288 W (GPU at 61 °C)" and h.detail == reason


def test_hot_says_what_the_guard_did() -> None:
    s = status(gpus=[gpu(82, "throttle", "thermal", power_limit_w=220.0, reason="82 °C")])
    h = describe(s, connected=True, now=NOW)
    assert (h.state, h.text) == (RigState.HOT, "Hot: power limit lowered to 220 W (GPU at 82 °C)")
    assert h.detail == "82 °C"


def test_hot_wins_over_a_user_pause_and_a_game_pause_reads_as_paused() -> None:
    hot = status(gpus=[gpu(91, "pause", "thermal")], paused={"all": True})
    assert describe(hot, connected=True, now=NOW).state == RigState.HOT
    game = status(gpus=[gpu(50, "stop", "activity", reason="Cyberpunk 2077 is running")])
    h = describe(game, connected=True, now=NOW)
    assert (h.text, h.detail) == ("Paused while you use the GPU", "Cyberpunk 2077 is running")


def test_errors_carry_their_fix() -> None:
    net = dict(
        PRACTICE,
        state="error",
        message="Docker is not running",
        next_step="start Docker Desktop / sudo systemctl start docker",
    )
    h = describe(status(networks=[net]), connected=True, now=NOW)
    assert h.text == (
        "Error: Docker is not running — start Docker Desktop / sudo systemctl start docker"
    )
    no_gpu = status(
        gpus=[],
        gpu_error={
            "code": "driver_not_loaded",
            "cause": "the NVIDIA driver is not loaded",
            "fix": "reboot after installing it",
        },
    )
    assert describe(no_gpu, connected=True).text == (
        "Error: the NVIDIA driver is not loaded — reboot after installing it"
    )
    lost = describe(None, connected=False, now=NOW)
    assert lost.state == RigState.ERROR and "rigpilot worker --detach" in lost.text
    assert describe(None, connected=False, starting=True).state == RigState.IDLE


def test_idle_states() -> None:
    assert describe(status(), connected=True).text == "Idle: no network set up yet · 74 °C"
    ready = status(networks=[dict(PRACTICE, state="idle")])
    assert describe(ready, connected=True).text.startswith("Ready: waiting for work from Practice")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "–"), ("1.5", "$1.50"), (0.004, "$0.0040"), (1234.5, "$1,234.50"), (-2, "-$2.00")],
)
def test_usd(value: Any, shown: str) -> None:
    assert text.usd(value) == shown


def test_durations_and_money_objects() -> None:
    assert [text.duration(s) for s in (5, 600, 3 * 3600 + 720, 3 * 86400)] == [
        "5 s",
        "10 min",
        "3 h 12 min",
        "3 d",
    ]
    assert text.money({"amount": "3", "unit": "NOS", "usd": None}) == "3 NOS"
    assert text.money({"amount": "3", "unit": "NOS", "usd": "0.42"}) == "$0.42"


def test_tomorrow_at_is_the_next_calendar_day() -> None:
    ts = text.tomorrow_at(7, now=NOW)
    then, now = datetime.fromtimestamp(ts), datetime.fromtimestamp(NOW)
    assert (then.date() - now.date()).days == 1 and (then.hour, then.minute) == (7, 0)


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
        event = {
            "kind": "network.earned",
            "ts": t + i * 60,
            "network": "demo",
            "message": "demo: +1 DEMO",
            "data": {"job_id": f"j{i}", "usd": usd},
        }
        assert history.add_event(event)
    assert not history.add_event({"kind": "job.finished", "ts": t})
    history.add_status(
        t + 300,
        {"gross_usd": "1", "net_usd": "0.8", "networks": {"demo": {"gross_usd": "1"}}},
    )
    curves = history.today_curves(t - 60, t + 600)
    x, y = curves["demo"]
    assert list(y) == [0.0, 0.5, 0.5, 0.75, 1.0] and x[-1] == t + 300
    assert list(curves["net"][1]) == [0.8]
    assert history.pay_by_job == {"j0": 0.5, "j1": 0.25}


def test_weekly_curves_add_up_the_days() -> None:
    answer = {
        "days": [
            {"date": "2026-01-01", "network": "demo", "gross_usd": "1", "net_usd": "0.5"},
            {"date": "2026-01-02", "network": "demo", "gross_usd": "2", "net_usd": "1.5"},
        ]
    }
    curves = weekly_curves(answer, now=datetime(2026, 1, 2, 12).timestamp())
    assert list(curves["demo"][1]) == [0.0, 1.0, 1.0, 3.0]
    assert list(curves["net"][1]) == [0.0, 0.5, 0.5, 2.0]
    assert curves["demo"][0][-1] == datetime(2026, 1, 2, 12).timestamp()


def test_thermal_limits_prefer_settings_then_card_defaults() -> None:
    s = status(gpus=[dict(gpu(), info={"thresholds": {"max_operating_c": 93.0}})])
    assert series.thermal_limits({"thermal.soft_limit_c": 70, "thermal.pause_limit_c": 78}, s) == (
        70.0,
        78.0,
    )
    assert series.thermal_limits({}, s) == (80.0, 85.0)


def test_telemetry_arrays_from_a_rollup_answer() -> None:
    answer = {
        "resolution": "1m",
        "points": [
            {"ts": 120.0, "core_temp_c": 70.0, "core_temp_max_c": 72.0, "power_w": 200.0},
            {"ts": 60.0, "core_temp_c": 60.0, "core_temp_max_c": 61.0, "power_w": None},
        ],
    }
    arrays = series.TelemetryArrays.from_answer(answer)
    assert list(arrays.ts) == [60.0, 120.0]
    assert list(arrays.columns["core_max"]) == [61.0, 72.0]
    assert series.resolution_words(arrays.resolution) == "1-minute averages"


def test_rate_limiter_per_kind_and_per_window() -> None:
    limiter = RateLimiter()
    t = time.time()
    assert limiter.allow("guard.pause", t)
    assert not limiter.allow("guard.pause", t + 30)
    assert limiter.allow("guard.pause", t + 61)
    assert all(limiter.allow(f"k{i}", t + 62 + i) for i in range(3))
    assert not limiter.allow("another", t + 70)  # five in ten minutes
    assert limiter.allow("another", t + 601)


def test_which_events_notify() -> None:
    def kind(k: str, severity: str = "info", **data: Any) -> dict:
        return {"kind": k, "severity": severity, "message": "m", "data": data}

    assert notification_for(kind("guard.pause", "warning", source="thermal"))
    assert notification_for(kind("guard.pause", source="user")) is None
    assert notification_for(kind("guard.stop", source="activity")) is None
    assert notification_for(kind("guard.run", source="thermal")) is None
    assert notification_for(kind("guard.restore_power_limit", source="arbiter")) is None
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
