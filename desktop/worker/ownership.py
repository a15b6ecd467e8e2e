"""Which network owns each GPU: the user's order, with fallback and hand-back. Pure.

Why a rule of its own: several networks can be enrolled at once, and a GPU can only work
for one of them at a time. The user orders them (``networks.order``); per GPU the best
ranked network that can work now (enrolled, not paused by the user, not failing, nothing
left for the user to do: the supervisor's ``owners()``) owns it, and:

* a job that runs on a GPU keeps its network there until it ends (a job is never
  interrupted to hand a GPU over: on io.net or the practice network that would void its
  pay, and elsewhere it wastes the work done);
* a network whose jobs RigPilot runs (a job source) that has had no work on a GPU for the
  user's hand-over time lets the next network use that GPU; it takes the GPU back the
  moment it has a job to place there (``may_start``), if nothing of the other network
  runs on it. Networks with an agent of their own are not handed over for idleness: a
  paused agent cannot tell that work has come;
* an owner that stops, fails or is paused drops out of the candidates, so the next takes
  the GPU at the next round; the first takes it back when it is a candidate again (after
  the running job, if any, ends).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field


def ranked(candidates: Collection[str], order: Sequence[str], known: Sequence[str]) -> list[str]:
    """``candidates`` in the user's order, then in the registry's order for the rest."""
    position = {n: i for i, n in enumerate(order)}
    position.update({n: len(order) + i for i, n in enumerate(known) if n not in position})
    return sorted(candidates, key=lambda n: (position.get(n, len(position)), n))


@dataclass
class GpuClaim:
    """What the ownership rule remembers of one GPU between rounds."""

    owner: str | None = None
    idle_since: dict[str, float] = field(default_factory=dict)  # network → no work here since


def assign(
    claim: GpuClaim,
    ranking: Sequence[str],
    working: str | None,
    job_sources: Collection[str],
    handover_s: float,
    now: float,
) -> str | None:
    """The owner of one GPU this round (and ``claim`` updated).

    Args:
        ranking: the candidates, best first (``ranked``).
        working: the network with work on this GPU now (a job of ours, or its agent busy).
        job_sources: the candidates whose jobs RigPilot's job service runs.
    """
    if working is not None:
        claim.idle_since.pop(working, None)
        claim.owner = working
        return working
    for network in list(claim.idle_since):
        if network not in ranking:
            del claim.idle_since[network]
    if claim.owner is not None and claim.owner in ranking:
        claim.idle_since.setdefault(claim.owner, now)
    for network in ranking:
        idle = claim.idle_since.get(network)
        yielded = network in job_sources and idle is not None and now - idle >= handover_s
        if not yielded:
            claim.owner = network
            claim.idle_since.setdefault(network, now)  # no work here (yet) from now on
            return network
    claim.owner = ranking[0] if ranking else None  # every one is idle: the best keeps it
    return claim.owner


def may_start(network: str, owner: str | None, working: str | None, ranking: Sequence[str]) -> bool:
    """Whether a job of ``network`` may start on a GPU owned by ``owner`` (``working``: the
    network with work on it now): its own GPU, a GPU nobody owns, or one it ranks above
    the owner on while nothing runs there (it takes its GPU back)."""
    if network == owner or owner is None:
        return working in (None, network)
    if working is not None or network not in ranking:
        return False
    return owner not in ranking or ranking.index(network) < ranking.index(owner)
