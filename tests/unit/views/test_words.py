"""desktop.views: every word about the rig from one typed status (the app and the CLI)."""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal

import msgspec
import pytest

from desktop.ipc.schema import GpuProblem, Operation, OperationState, PowerView
from desktop.ipc.schema_data import TelemetryPoint
from desktop.model import Event, GpuState, GuardAction, HoldKind, NodeState, Severity
from desktop.views import money
from desktop.views.rig import RigState, describe
from desktop.views.snapshot import Snapshot
from desktop.views.states import Tone, gpu_words, hold_words, network_words
from desktop.views.text import DASH, duration, until_tomorrow
from tests import api_samples as sample

NOW = sample.NOW


def snap(status: object | None = None, **kw: object) -> Snapshot:
    snapshot = Snapshot()
    snapshot.set_status(status if status is not None else sample.status(**kw))  # type: ignore[arg-type]
    return snapshot


def headline(**kw: object) -> tuple[RigState, str, str]:
    h = describe(snap(**kw), connected=True, now=NOW)
    return h.state, h.text, h.detail


def test_earning_names_the_owner_and_the_temperature() -> None:
    assert headline() == (RigState.EARNING, "Earning on Practice network · 71 °C", "")


def test_paused_by_the_user_until_a_time_says_paused_everywhere() -> None:
    until = datetime.fromtimestamp(NOW).replace(hour=21, minute=0).timestamp()
    until += 86400 if until <= NOW else 0
    status = sample.paused_status(until=until)
    h = describe(snap(status), connected=True, now=NOW)
    at = datetime.fromtimestamp(until).strftime("%H:%M")
    assert (h.state, h.text) == (RigState.PAUSED, f"Paused by you until {at} · 71 °C")
    assert gpu_words(status.gpus[0], NOW).text == f"Paused by you until {at}"
    brief = status.networks[0]
    words = network_words(brief.state, brief.enrolled, brief.held, brief.operation, NOW)
    assert (words.text, words.tone) == ("Paused", Tone.WARN)
    assert words.detail.startswith("All work is paused by you")


def test_the_user_reason_is_shown_unless_it_is_a_generic_one() -> None:
    assert hold_words(sample.user_hold(reason="gaming"), NOW) == "Paused by you (gaming)"
    assert hold_words(sample.user_hold(reason="tray"), NOW) == "Paused by you"


def test_hot_wins_and_says_what_the_guard_did() -> None:
    throttled = sample.gpu(
        thermal=sample.thermal("throttled", "82 °C"),
        power=PowerView(limit_w=220.0, user_w=320.0, cap_w=220.0),
    )
    assert headline(gpus=[throttled])[:2] == (
        RigState.HOT,
        "Hot: power limit lowered to 220 W (GPU at 71 °C)",
    )
    held = sample.guard_hold(HoldKind.THERMAL, reason="GPU at 86 °C")
    paused = sample.gpu(
        state=GpuState.PAUSED, holds=[held], thermal=sample.thermal("paused", "GPU at 86 °C")
    )
    state, text, detail = headline(gpus=[paused], user_holds=[sample.user_hold()])
    assert state is RigState.HOT and text.startswith("Hot: work paused so the GPU can cool")
    assert detail == "GPU at 86 °C"
    assert gpu_words(paused, NOW).text == "Paused: too hot"


def test_a_game_or_the_schedule_pauses_in_their_own_words() -> None:
    game = sample.guard_hold(HoldKind.GAME, GuardAction.STOP, "Cyberpunk 2077 is running")
    h = headline(gpus=[sample.gpu(state=GpuState.PAUSED, holds=[game])])
    assert h == (
        RigState.PAUSED,
        "Paused while you use the GPU · 71 °C",
        "Cyberpunk 2077 is running",
    )
    window = sample.guard_hold(HoldKind.SCHEDULE, reason="outside 22:00-07:00")
    assert headline(gpus=[sample.gpu(state=GpuState.PAUSED, holds=[window])])[1].startswith(
        "Paused by your schedule"
    )


def test_errors_carry_their_fix() -> None:
    failing = sample.brief(
        state=NodeState.ERROR,
        message="Docker is not running",
        next_step="start Docker Desktop / sudo systemctl start docker",
    )
    assert headline(networks=[failing])[1] == (
        "Error: Docker is not running — start Docker Desktop / sudo systemctl start docker"
    )
    problem = GpuProblem(
        code="driver_not_loaded", cause="the NVIDIA driver is not loaded", fix="reboot"
    )
    assert headline(gpus=[], gpu_error=problem)[1] == (
        "Error: the NVIDIA driver is not loaded — reboot"
    )
    event = Event(NOW, "worker.docker_lost", Severity.ERROR, "Docker stopped", data={"fix": "x"})
    h = describe(snap(), connected=True, now=NOW, last_error=event)
    assert h.text == "Error: Docker stopped — x"
    lost = describe(Snapshot(), connected=False, now=NOW)
    assert lost.state is RigState.ERROR and "rigpilot worker --detach" in lost.text
    assert describe(Snapshot(), connected=False, now=NOW, starting=True).state is RigState.IDLE


def test_idle_and_ready() -> None:
    waiting = sample.gpu(state=GpuState.WAITING)
    ready = headline(gpus=[waiting], networks=[sample.brief(state=NodeState.IDLE)])
    assert ready[1] == "Ready: waiting for work from Practice network · 71 °C"
    alone = headline(gpus=[sample.gpu(state=GpuState.UNUSED)], networks=[])
    assert alone[1] == "Idle: no network set up yet · 71 °C"


def test_the_same_word_for_the_same_state() -> None:
    """A busy network and a working GPU are both "Working"; idle and waiting both wait."""
    busy = network_words(NodeState.BUSY, True, None, None, NOW).text
    assert busy == gpu_words(sample.gpu(state=GpuState.WORKING), NOW).text == "Working"
    idle = network_words(NodeState.IDLE, True, None, None, NOW).text
    assert idle == gpu_words(sample.gpu(state=GpuState.WAITING), NOW).text
    stopping = Operation(
        id="op", kind="pause", network="nosana", state=OperationState.RUNNING,
        message="waiting for the job to end", started_ts=NOW,
    )  # fmt: skip
    hold = sample.user_hold("network", network="nosana")
    assert network_words(NodeState.BUSY, True, hold, stopping, NOW).text == "Pausing"
    assert network_words(NodeState.NOT_ENROLLED, False, hold, None, NOW).text == "Not enrolled"


def test_the_snapshot_keeps_the_newest_reading_whoever_brought_it() -> None:
    snapshot = snap()
    assert snapshot.hottest() == 71.0
    newer = TelemetryPoint(
        ts=NOW + 1, gpu_index=0, core_temp_c=73.0, mem_temp_c=None, power_w=200.0,
        power_limit_w=320.0, gpu_util_pct=90.0, fan_pct=50.0, energy_j=None,
    )  # fmt: skip
    older = TelemetryPoint(**{**sample.to_json(newer), "ts": NOW - 5, "core_temp_c": 40.0})
    assert snapshot.add_points([newer]) and not snapshot.add_points([older])
    h = describe(snapshot, connected=True, now=NOW)
    assert h.text.endswith("· 73 °C")  # the header reads the same reading as the card
    snapshot.set_status(sample.status())  # an older status sample does not roll it back
    assert snapshot.reading(0).core_temp_c == 73.0  # type: ignore[union-attr]
    snapshot.set_status(sample.status(pid=43))  # another worker starts over
    assert snapshot.reading(0).core_temp_c == 71.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, DASH),
        ("1.5", "$1.50"),
        ("0.004", "$0.0040"),
        ("1234.5", "$1,234.50"),
        ("-2", "-$2.00"),
    ],
)
def test_money(value: str | None, shown: str) -> None:
    assert money.amount(None if value is None else Decimal(value)) == shown


def test_today_line_uses_one_precision_for_gross_and_net() -> None:
    assert money.today_line(sample.totals()) == "$0.2460 gross, $0.0467 electricity, $0.1993 net"
    assert money.today_line(sample.totals("12.5", "0.4")) == (
        "$12.50 gross, $12.10 electricity, $0.40 net"
    )
    eur = sample.totals("12.5", "0.4", "EUR")
    assert money.today_line(eur) == "12.50 EUR gross, 12.10 EUR electricity, 0.40 EUR net"
    practice = msgspec.structs.replace(
        sample.totals(),
        practice=msgspec.structs.replace(sample.money("0.25", "0.20"), currency="practice $"),
    )
    assert money.today_line(practice).endswith(
        "(practice: practice $0.2500 gross, practice $0.2000 net)"
    )
    unpriced = msgspec.structs.replace(sample.totals("0", "-0.05", "EUR"), unpriced={"NOS": 3})
    assert money.today_line(unpriced) == (
        "3 NOS (no rate yet) gross, 0.0500 EUR electricity, -0.0500 EUR + 3 NOS (no rate yet) net"
    )
    assert money.today_line(None) == "–"


def test_durations() -> None:
    assert [duration(s) for s in (5, 600, 3 * 3600 + 720, 3 * 86400)] == [
        "5 s",
        "10 min",
        "3 h 12 min",
        "3 d",
    ]


def test_until_tomorrow_is_one_time_for_every_client() -> None:
    evening = datetime(2026, 5, 4, 22, 15).timestamp()
    night = datetime(2026, 5, 5, 2, 0).timestamp()
    assert datetime.fromtimestamp(until_tomorrow(evening)) == datetime(2026, 5, 5, 6, 0)
    assert datetime.fromtimestamp(until_tomorrow(night)) == datetime(2026, 5, 5, 6, 0)


@pytest.mark.skipif(sys.platform == "win32", reason="time.tzset is POSIX only")
def test_until_tomorrow_is_six_on_the_clock_across_a_daylight_saving_change() -> None:
    """The night the clocks go forward is an hour short; "tomorrow" is still 06:00."""
    import os
    import time

    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    try:
        evening = datetime(2026, 3, 28, 22, 0).timestamp()  # clocks go forward at 02:00
        until = until_tomorrow(evening)
        assert datetime.fromtimestamp(until) == datetime(2026, 3, 29, 6, 0)
        assert until - evening == 7 * 3600
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
