"""``--rig`` on the command line (before or after the command), ``rigpilot worker paths``,
and the app's ``--connect``: parsed and refused without any SSH."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from desktop.cli import build_parser, main
from desktop.cli._rig import chosen_rig
from desktop.ipc.protocol import PROTOCOL_VERSION
from desktop.ui.options import OptionsError, parse_options


@pytest.mark.parametrize(
    "argv",
    [
        ["--rig", "pi@garage", "status"],
        ["status", "--rig", "pi@garage"],
        ["pause", "--for", "1h", "--rig", "pi@garage"],
        ["networks", "--rig", "pi@garage"],
        ["earnings", "--rig", "pi@garage"],
        ["settings", "set", "thermal.pause_limit_c", "85", "--rig", "pi@garage"],
        ["settings", "--rig", "pi@garage"],
        ["job", "list", "--rig", "pi@garage"],
        ["events", "--rig=pi@garage"],
        ["worker", "stop", "--rig", "pi@garage"],
        ["metrics", "--rig", "pi@garage"],
        ["metrics", "token", "--rig", "pi@garage"],
        ["--rig", "pi@garage", "alerts", "test"],
        ["alerts", "ntfy", "--stdin", "--rig", "pi@garage"],
    ],
)
def test_every_command_that_talks_to_the_worker_takes_rig(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    rig = chosen_rig(args)
    assert rig is not None and rig.text == "pi@garage"


def test_without_rig_the_command_is_about_this_computer() -> None:
    assert chosen_rig(build_parser().parse_args(["status"])) is None


def test_a_bad_rig_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["status", "--rig=-oProxyCommand=x"])
    assert caught.value.code == 2
    assert "looks like an ssh option" in capsys.readouterr().err


def test_a_rigs_worker_is_started_on_the_rig(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--detach", "--rig", "pi@garage"]) == 2
    assert "ssh pi@garage rigpilot worker --detach" in capsys.readouterr().err


def test_worker_paths_says_where_and_that_nothing_runs(
    rigpilot_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["worker", "paths", "--json", "--with-token"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["running"] is False and info["token"] is None  # no worker: no token handed out
    assert info["protocol"] == PROTOCOL_VERSION
    socket = str(rigpilot_home.resolve() / "run" / "worker.sock")
    assert info["socket"] == ("" if sys.platform == "win32" else socket)  # Windows: loopback


def test_the_token_is_only_printed_as_json(
    rigpilot_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["worker", "paths", "--with-token"]) == 2
    assert "--with-token needs --json" in capsys.readouterr().err


def test_the_app_connect_option_checks_the_address() -> None:
    assert parse_options(["--connect", " pi@garage "]).connect == "pi@garage"
    with pytest.raises(OptionsError, match="--connect: .*looks like an ssh option"):
        parse_options(["--connect=-oProxyCommand=x"])
