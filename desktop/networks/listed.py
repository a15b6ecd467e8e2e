"""Networks RigPilot lists but cannot join this machine to: honest rows, no adapter actions.

Why a kind of its own: the articles users read name Render, Aethir, Fluence, Bittensor,
Gensyn and Salad next to the networks RigPilot runs, and a user should learn here, with the
source, what each needs, why RigPilot cannot join this computer to it (enterprise GPUs
only, a waitlist, per-subnet code, a closed Windows app...) and what to do instead, rather
than wonder why it is missing, or press an Enroll button that cannot work.

Each such network is one small module holding one ``Listing`` (data) and
``SPEC = listed_spec(LISTING)``. Its adapter has the core protocol only: no capability, so
the Networks page, the wizard and the CLI show no Enroll button for it (``can_enroll`` is
false, and it is not ``monitor_only``), the worker never polls or drives it, and enrolling
through the API is refused with the reason (desktop/networks/nulls.py, NotEnrollable). The
reason is its one requirement, ``<id>.joinable``, which always fails: its summary says why,
its fix what to do instead, its details the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop.model import CheckResult, NetworkPenalties, NodeState
from desktop.networks.records import CredentialField, HostFacts, StatusSnapshot, requirement
from desktop.networks.spec import AdapterContext, NetworkSpec, wall_now

JOINABLE_TITLE = "Joinable through RigPilot"


@dataclass(frozen=True)
class Listing:
    """What the row says (every field is shown to the user).

    Attributes:
        needs: what joining takes, as the network documents it (the description).
        why_not: why RigPilot cannot join this computer to it.
        instead: what the user can do instead.
        source: where the facts come from (pages, repositories), for the curious and for
            whoever updates the row when the network changes.
        url: the network's own page for people who want to join it themselves.
    """

    id: str
    display_name: str
    needs: str
    why_not: str
    instead: str
    source: str
    url: str


class ListedNetwork:
    """A listed-only network: the core protocol and nothing else (module docstring)."""

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self.id, self.display_name = listing.id, listing.display_name
        self.description = listing.needs

    def credential_schema(self) -> Sequence[CredentialField]:
        return []

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        item = self.listing
        return [
            requirement(
                f"{item.id}.joinable",
                JOINABLE_TITLE,
                False,
                item.why_not,
                item.instead,
                source=item.source,
                url=item.url,
                listed_only=True,
            )
        ]

    def status(self) -> StatusSnapshot:
        return StatusSnapshot(NodeState.NOT_ENROLLED, "listed only", wall_now(), None)

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties()  # never enrolled, so never weighed


def listed_spec(listing: Listing) -> NetworkSpec:
    """The registry's entry for a listed-only network (it runs on no platform here)."""

    def build(ctx: AdapterContext) -> ListedNetwork:
        return ListedNetwork(listing)

    return NetworkSpec(
        listing.id,
        listing.display_name,
        listing.needs,
        frozenset(),
        build,
        details_every_s=0.0,
    )
