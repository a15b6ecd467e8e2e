"""The words for a network RigPilot lists but cannot join this computer to, and for what a
network lets RigPilot do, shared by the Networks page, the wizard and the CLI.

Why from the API's record: a listed-only network is one whose adapter has no capability
at all (neither enrollable nor watched, desktop/networks/listed.py); its reason travels as
its one failing requirement, ``<id>.joinable``, whose summary is why, whose fix is what to
do instead and whose details hold the source. Reading it here keeps the three views
saying the same sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.ipc.schema_networks import Capabilities
from desktop.model import CheckResult
from desktop.views.states import Tone, Words

LISTED_WORDS = Words("Can't join here", Tone.OFF, "RigPilot lists this network but cannot join it")


@dataclass(frozen=True)
class NotJoinable:
    """Why RigPilot cannot join this computer to a network, and what to do instead."""

    why: str
    instead: str
    source: str
    url: str

    def sentence(self, name: str) -> str:
        """One paragraph: why, instead, and the source."""
        return (
            f"RigPilot cannot join this computer to {name}: {self.why} "
            f"Instead: {self.instead} (Source: {self.source}.)"
        )


def listed_only(capabilities: Capabilities) -> bool:
    """Neither enrollable nor watched: a row that only informs."""
    return not capabilities.can_enroll and not capabilities.monitor_only


def not_joinable(capabilities: Capabilities, requirements: list[CheckResult]) -> NotJoinable | None:
    """The reason of a listed-only network (None for one RigPilot can join or watch)."""
    if not listed_only(capabilities):
        return None
    for check in requirements:
        if check.id.endswith(".joinable"):
            details = check.details or {}
            return NotJoinable(
                check.summary,
                check.fix,
                str(details.get("source", "")),
                str(details.get("url", "")),
            )
    return NotJoinable("RigPilot has no way to run or watch it.", "", "", "")


def what_it_can_do(capabilities: Capabilities) -> str:
    """What RigPilot does with a network, in a few words (for a card's or row's subtitle)."""
    if capabilities.monitor_only:
        return "Watched only: RigPilot reads its state and earnings"
    if not capabilities.can_enroll:
        return "Listed only"
    if capabilities.runs_jobs_here:
        return "Runs its jobs in RigPilot"
    if capabilities.can_start_stop:
        return "RigPilot starts and stops its node"
    if capabilities.can_pause:
        return "RigPilot turns its rentals on and off"
    return "RigPilot enrolls it"
