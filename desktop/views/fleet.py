"""The rig list's words: one row per rig (state, hottest GPU, today's net), from its status.

Why here and not in the widget: the row's state is the very headline the window and the
tray show for that rig (``desktop.views.rig.describe``), shortened to one word, so a rig
listed as "Hot" is never shown as "Earning" once selected.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.ipc.schema import StatusAnswer
from desktop.views.money import gross_and_net
from desktop.views.rig import RigState, describe
from desktop.views.snapshot import Snapshot
from desktop.views.text import DASH, temp

THIS_COMPUTER = "This computer"
STATE_WORDS = {
    RigState.EARNING: "Earning",
    RigState.PAUSED: "Paused",
    RigState.HOT: "Hot",
    RigState.ERROR: "Needs you",
    RigState.IDLE: "Idle",
}


@dataclass(frozen=True)
class RigRow:
    """One line of the rig list.

    Attributes:
        address: "" for this computer, ``user@host`` for a rig.
        name: what the list shows ("This computer" or the address).
        state: the tray's state (its icon); ``state_text`` the word beside it.
        detail: the full sentence (a tooltip): the headline, or why the rig is not answering.
    """

    address: str
    name: str
    state: RigState
    state_text: str
    hottest: str
    today_net: str
    detail: str


def rig_name(address: str) -> str:
    return address or THIS_COMPUTER


def rig_row(address: str, status: StatusAnswer | None, now: float, error: str = "") -> RigRow:
    """The row of a rig whose last status is ``status`` (None: it did not answer; then
    ``error`` says why, "" while the first answer is awaited)."""
    name = rig_name(address)
    if status is None:
        if not error:
            return RigRow(address, name, RigState.IDLE, "Connecting…", DASH, DASH, "")
        word = "Lost" if address else "Not running"
        return RigRow(address, name, RigState.ERROR, word, DASH, DASH, error)
    snapshot = Snapshot()
    snapshot.set_status(status)
    headline = describe(snapshot, connected=True, now=now)
    gross, net = gross_and_net(status.earnings_today)
    today = net if net is not None else f"{gross} gross"
    detail = f"{headline.text}. {headline.detail}".strip(". ") if headline.detail else headline.text
    return RigRow(
        address,
        name,
        headline.state,
        STATE_WORDS[headline.state],
        temp(snapshot.hottest()),
        today if status.earnings_today is not None else DASH,
        detail,
    )
