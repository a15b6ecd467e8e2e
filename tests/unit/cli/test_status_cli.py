"""`rigpilot status|pause|resume|events|worker`: parsing and the text tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from desktop.cli import _status_format as fmt
from desktop.cli import build_parser
from desktop.cli.worker import worker_args


def gpu(**sample: Any) -> dict[str, Any]:
    base = {
        "core_temp_c": 71.0,
        "mem_temp_c": None,
        "power_w": 215.4,
        "gpu_util_pct": 97.0,
        "fan_pct": 55.0,
    }
    return {
        "info": {"index": 0, "name": "Simulated RTX 3080 (warm)"},
        "sample": {**base, **sample},
        "degraded": False,
        "paused": False,
        "guard": {"action": "run", "reason": "", "source": "none", "state": "unguarded"},
        "power_limit_w": 320.0,
    }


STATUS = {
    "version": "0.1.0",
    "pid": 42,
    "uptime_s": 3725.0,
    "mode": "simulated",
    "paused": {"all": False, "until_ts": None, "reason": "", "gpus": [], "networks": []},
    "gpus": [gpu()],
    "gpu_error": None,
    "networks": [],
    "jobs_running": None,
    "components": {"networks": False},
}


def test_status_table_has_one_line_per_gpu() -> None:
    text = fmt.status_text(STATUS)
    assert "pid 42 · up 1h 02m · simulated" in text
    header, row = [line for line in text.splitlines() if "GPU" in line or "RTX" in line]
    assert header.split() == ["GPU", "NAME", "TEMP", "POWER/LIMIT", "UTIL", "FAN", "STATE"]
    assert "71 °C" in row and "215/320 W" in row and "97 %" in row and "55 %" in row
    assert row.rstrip().endswith("working")
    assert "Paused: no" in text and "Networks: not available" in text


def test_missing_readings_and_no_gpu_are_explained() -> None:
    status = {
        **STATUS,
        "gpus": [],
        "gpu_error": {
            "code": "driver_not_loaded",
            "cause": "the NVIDIA driver is not loaded",
            "fix": "Install the driver.",
        },
    }
    text = fmt.status_text(status)
    assert "No GPU in use: the NVIDIA driver is not loaded" in text
    assert "Fix: Install the driver." in text
    rows = fmt.gpu_rows([{**gpu(), "sample": None}])
    assert rows[1][2] == "-" and rows[1][-1] == "no data"


@pytest.mark.parametrize(
    ("change", "state"),
    [
        ({"paused": True}, "paused"),
        ({"guard": {"action": "stop_for_day"}}, "stop for day"),
        ({"degraded": True}, "degraded"),
    ],
)
def test_gpu_state_words(change: dict[str, Any], state: str) -> None:
    assert fmt.gpu_state({**gpu(), **change}) == state
    assert fmt.gpu_state(gpu(gpu_util_pct=0.0)) == "idle"


def test_paused_line() -> None:
    now = datetime(2026, 5, 4, 12, 0).timestamp()
    until = datetime(2026, 5, 4, 13, 30).timestamp()
    paused = {"all": True, "until_ts": until, "reason": "gaming", "gpus": [1], "networks": ["x"]}
    assert fmt.paused_text(paused, now) == "all work until 13:30 (gaming); GPU 1; network x"


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), ("90s", 90)]
)
def test_durations(text: str, seconds: int) -> None:
    assert fmt.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "1x", "h", "0m", "400d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        fmt.parse_duration(text)


def test_tomorrow_morning() -> None:
    evening = datetime(2026, 5, 4, 22, 15).timestamp()
    night = datetime(2026, 5, 5, 2, 0).timestamp()
    assert datetime.fromtimestamp(fmt.tomorrow_morning(evening)) == datetime(2026, 5, 5, 6, 0)
    assert datetime.fromtimestamp(fmt.tomorrow_morning(night)) == datetime(2026, 5, 5, 6, 0)


def test_pause_flags_parse_and_conflict() -> None:
    parser = build_parser()
    args = parser.parse_args(["pause", "--gpu", "1", "--for", "1h", "--reason", "game"])
    assert (args.gpu, args.network, args.duration, args.reason) == (1, None, 3600.0, "game")
    with pytest.raises(SystemExit):
        parser.parse_args(["pause", "--gpu", "1", "--network", "demo"])
    with pytest.raises(SystemExit):
        parser.parse_args(["pause", "--for", "1h", "--until-tomorrow"])
    with pytest.raises(SystemExit):
        parser.parse_args(["pause", "--for", "soon"])


def test_worker_flags_pass_on_to_the_background_worker() -> None:
    parser = build_parser()
    args = parser.parse_args(["worker", "--detach", "--simulate", "warm,HOT", "--sim-speed", "10"])
    assert worker_args(args) == ["--simulate", "warm,hot", "--sim-speed", "10"]
    assert parser.parse_args(["worker", "stop"]).action == "stop"
    with pytest.raises(SystemExit):
        parser.parse_args(["worker", "--simulate", "lava"])
    with pytest.raises(SystemExit):
        parser.parse_args(["worker", "--detach", "--foreground"])
