"""`rigpilot status|pause|resume|events|worker`: parsing and the text tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from desktop import clock
from desktop.cli import _status_format as fmt
from desktop.cli import build_parser
from desktop.cli.worker import worker_args
from desktop.ipc import endpoints
from desktop.ipc.schema import (
    GpuProblem,
    GpuStatus,
    HoldsAnswer,
    PauseRequest,
    PauseScope,
    ResumeRequest,
)
from desktop.model import GpuState, GuardAction, HoldKind
from desktop.views.snapshot import Snapshot
from desktop.views.text import until_tomorrow
from tests import api_samples as sample

NOW = sample.NOW


def test_status_prints_the_apps_headline_and_one_line_per_gpu() -> None:
    text = fmt.status_text(sample.status(), NOW)
    lines = text.splitlines()
    assert "pid 42 · up 1h 02m · simulated" in lines[0]
    assert lines[1] == "Earning on Practice network · 71 °C"  # the app's own headline
    header, row = [line for line in lines if line.startswith(("GPU ", "0 "))]
    assert header.split() == ["GPU", "NAME", "TEMP", "POWER/LIMIT", "UTIL", "FAN", "STATE"]
    assert "71 °C" in row and "215/320 W" in row and "97 %" in row and "55 %" in row
    assert row.rstrip().endswith("Working")
    assert "Paused: no" in text
    assert "Networks: Practice network: Working\n" in text  # the enrolled ones only
    assert "Nosana" not in text
    assert "Earned today: $0.2460 gross, $0.0467 electricity, $0.1993 net" in text


def test_a_paused_rig_says_paused_everywhere_and_working_nowhere() -> None:
    text = fmt.status_text(sample.paused_status(reason="gaming"), NOW)
    assert "Paused by you (gaming) · 71 °C" in text
    assert "Paused by you (gaming)" in text.splitlines()[4]  # the GPU's STATE column
    assert "Paused: all work (gaming)" in text
    assert "Practice network: Paused" in text
    assert "Working" not in text


def test_missing_readings_and_no_gpu_are_explained() -> None:
    problem = GpuProblem(
        code="driver_not_loaded", cause="the NVIDIA driver is not loaded", fix="Install it."
    )
    text = fmt.status_text(sample.status(gpus=[], gpu_error=problem), NOW)
    assert "No GPU in use: the NVIDIA driver is not loaded" in text
    assert "Fix: Install it." in text
    blank = sample.status(gpus=[sample.gpu(sample=None)])
    snapshot = Snapshot()
    snapshot.set_status(blank)
    rows = fmt.gpu_rows(blank.gpus, snapshot, NOW)
    assert rows[1][2] == "–" and rows[1][3] == "–/320 W"


@pytest.mark.parametrize(
    ("gpu", "words"),
    [
        (sample.gpu(state=GpuState.WAITING), "Waiting for work"),
        (
            sample.gpu(
                state=GpuState.PAUSED,
                holds=[sample.guard_hold(HoldKind.THERMAL, reason="GPU at 86 °C")],
            ),
            "Paused: too hot",
        ),
        (
            sample.gpu(
                state=GpuState.PAUSED,
                holds=[sample.guard_hold(HoldKind.THERMAL, GuardAction.STOP_FOR_DAY)],
            ),
            "Stopped for today: too hot",
        ),
        (
            sample.gpu(state=GpuState.PAUSED, holds=[sample.guard_hold(HoldKind.GAME)]),
            "Paused: you are using the GPU",
        ),
        (sample.gpu(state=GpuState.UNUSED), "Not in use"),
    ],
)
def test_gpu_state_words_are_the_apps(gpu: GpuStatus, words: str) -> None:
    snapshot = Snapshot()
    snapshot.set_status(sample.status(gpus=[gpu]))
    assert fmt.gpu_rows([gpu], snapshot, NOW)[1][-1] == words


def test_holds_line() -> None:
    now = datetime(2026, 5, 4, 12, 0).timestamp()
    until = datetime(2026, 5, 4, 13, 30).timestamp()
    holds = [
        sample.user_hold("all", until=until, reason="gaming"),
        sample.user_hold("gpu", gpu=1),
        sample.user_hold("network", network="x"),
    ]
    assert fmt.holds_text(holds, now) == "all work until 13:30 (gaming); GPU 1; network x"
    assert fmt.holds_text([], now) == "no"


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), ("90s", 90)]
)
def test_durations(text: str, seconds: int) -> None:
    assert fmt.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "1x", "h", "0m", "400d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        fmt.parse_duration(text)


def test_until_tomorrow_is_the_next_six_in_the_morning() -> None:
    evening = datetime(2026, 5, 4, 22, 15).timestamp()
    night = datetime(2026, 5, 5, 2, 0).timestamp()
    assert datetime.fromtimestamp(until_tomorrow(evening)) == datetime(2026, 5, 5, 6, 0)
    assert datetime.fromtimestamp(until_tomorrow(night)) == datetime(2026, 5, 5, 6, 0)


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


class RecordingClient:
    """Stands in for WorkerClient: records typed calls, answers like a worker."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def call(self, endpoint: Any, request: Any = None) -> Any:
        self.calls.append((endpoint.name, request))
        if endpoint.name == "status":
            return sample.paused_status()
        return HoldsAnswer(user_holds=[sample.user_hold("network", network="demo")])

    def status(self) -> Any:
        return self.call(endpoints.STATUS)

    def close(self) -> None:
        pass


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> RecordingClient:
    from desktop.ipc import client as client_module

    fake = RecordingClient()
    monkeypatch.setattr(client_module.WorkerClient, "from_env", classmethod(lambda cls: fake))
    monkeypatch.setattr("desktop.cli.status._cli_logging", lambda: None)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 5, 4, 22, 15).timestamp())
    return fake


def test_pause_sends_one_typed_request_and_tomorrow_is_the_views_tomorrow(
    recorded: RecordingClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli.status import cmd_pause, cmd_resume

    parser = build_parser()
    assert cmd_pause(parser.parse_args(["pause", "--until-tomorrow"])) == 0
    name, request = recorded.calls[-1]
    assert name == "pause" and request.scope == PauseScope.ALL
    assert request.until_ts == until_tomorrow(clock.now())
    assert "Paused all work until Tue 06:00." in capsys.readouterr().out
    assert cmd_pause(parser.parse_args(["pause", "--network", "demo", "--reason", "x"])) == 0
    assert recorded.calls[-1][1] == PauseRequest(
        scope=PauseScope.NETWORK, network="demo", reason="x"
    )
    assert cmd_resume(parser.parse_args(["resume"])) == 0
    assert recorded.calls[-1] == ("resume", ResumeRequest())
    assert "Still paused: network demo" in capsys.readouterr().out


def test_status_json_is_the_answers_wire_form(
    recorded: RecordingClient, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from desktop.cli.status import cmd_status

    assert cmd_status(build_parser().parse_args(["status", "--json"])) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["gpus"][0]["state"] == "paused" and data["user_holds"][0]["scope"] == "all"
