"""The rig list's words come from each rig's own status, and a lost rig says so."""

from __future__ import annotations

from desktop.views.fleet import THIS_COMPUTER, rig_row
from desktop.views.rig import RigState, describe
from desktop.views.snapshot import Snapshot
from desktop.views.text import DASH
from tests.api_samples import status as status_answer


def test_a_rig_row_has_its_state_hottest_gpu_and_todays_net() -> None:
    status = status_answer()
    row = rig_row("pi@garage", status, now=status.now)
    snapshot = Snapshot()
    snapshot.set_status(status)
    headline = describe(snapshot, connected=True, now=status.now)
    assert row.name == "pi@garage" and row.state is headline.state
    assert row.detail.startswith(headline.text)
    assert row.hottest.endswith("°C")
    assert row.today_net.startswith("$")


def test_this_computer_and_a_lost_rig() -> None:
    waiting = rig_row("", None, now=0.0)
    assert (waiting.name, waiting.state_text) == (THIS_COMPUTER, "Connecting…")
    lost = rig_row("pi@garage", None, now=0.0, error="lost the SSH connection")
    assert (lost.state, lost.state_text, lost.hottest, lost.today_net) == (
        RigState.ERROR, "Lost", DASH, DASH,
    )  # fmt: skip
    assert rig_row("", None, now=0.0, error="not running").state_text == "Not running"


def test_the_header_of_a_rig_that_does_not_answer() -> None:
    connecting = describe(Snapshot(), connected=False, now=0.0, starting=True, rig="pi@garage")
    assert connecting.text == "Connecting to pi@garage…"
    lost = describe(Snapshot(), connected=False, now=0.0, rig="pi@garage")
    assert lost.state is RigState.ERROR
    assert lost.text == "Lost the connection to pi@garage: reconnecting…"
