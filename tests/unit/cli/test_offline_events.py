"""``rigpilot events`` with the worker stopped: the ledger's events, read-only, after a
line that says the worker is stopped and how to start it (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import build_parser
from desktop.cli.status import EXIT_NOT_RUNNING, cmd_events
from desktop.ledger import Ledger
from desktop.model import Event, Severity
from desktop.paths import get_paths
from tests import api_samples as sample


def recorded(home: Path, count: int) -> None:
    """A ledger as a stopped worker leaves it (the real Ledger, in this test's home)."""
    ledger = Ledger.open(get_paths().ensure().ledger_file)
    try:
        for n in range(1, count + 1):
            ledger.add_event(
                Event(sample.NOW + n, "guard.pause", Severity.WARNING, f"paused {n}", seq=n)
            )
    finally:
        ledger.close()


def test_the_last_events_come_from_the_ledger_read_only(
    rigpilot_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded(rigpilot_home, 5)
    ledger = get_paths().ledger_file
    before = ledger.stat().st_mtime_ns
    args = build_parser().parse_args(["events", "--limit", "3", "--json"])
    assert cmd_events(args) == 0
    out, err = capsys.readouterr()
    assert "worker is not running" in err and "rigpilot worker --detach" in err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [e["message"] for e in lines] == ["paused 3", "paused 4", "paused 5"]
    assert ledger.stat().st_mtime_ns == before  # read, never written


def test_without_a_ledger_or_to_follow_it_says_how_to_start_and_nothing_else(
    rigpilot_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_events(build_parser().parse_args(["events"])) == EXIT_NOT_RUNNING
    out, err = capsys.readouterr()
    assert out == "" and "start it with `rigpilot worker --detach`" in err
    recorded(rigpilot_home, 1)
    assert cmd_events(build_parser().parse_args(["events", "--follow"])) == EXIT_NOT_RUNNING
    assert capsys.readouterr().out == ""
