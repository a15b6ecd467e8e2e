"""The choose-networks step: which networks this computer can join, and why not the others.

A network is locked when ``desktop.views.requirements.judge`` says this computer does not
meet it: the worker's judgement of its requirements and the doctor's run the user just
saw, the same judgement the Networks page shows. Networks that need nothing the doctor
checks are never locked by a failing check. A network RigPilot only lists
(desktop/networks/listed.py) can never be ticked: its row says why RigPilot cannot join
this computer to it and what to do instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from desktop.ipc.schema_networks import NetworkRecord
from desktop.model import CheckResult
from desktop.views import requirements
from desktop.views.requirements import Fitness
from desktop.wizard.state import NetworkOption, Problem, Step, WizardState

PRACTICE = "demo"


def fitness(state: WizardState, option: NetworkOption) -> Fitness:
    """This computer against ``option``: the one judgement the Networks page makes too."""
    return requirements.judge(option.requirements, state.checks)


def requirement_met(state: WizardState, requirement: CheckResult) -> bool:
    """Met by the worker's judgement and by the doctor's latest run."""
    return requirements.judge([requirement], state.checks).fit


def reasons(state: WizardState, option: NetworkOption) -> list[str]:
    """Why this computer cannot join ``option`` now, each with its fix; empty when it can."""
    return [s.sentence for s in fitness(state, option).shortfalls]


def short_reasons(state: WizardState, option: NetworkOption) -> list[str]:
    """The same, one line each ("Title: what is wrong", whole), for a network's row."""
    return [s.line for s in fitness(state, option).shortfalls]


def why_not(state: WizardState, option: NetworkOption) -> str:
    """One paragraph with every reason and its fix ("" when the network can be chosen)."""
    if option.not_joinable is not None:
        return option.not_joinable.sentence(option.display_name)
    return requirements.why_not(option.display_name, fitness(state, option))


def with_networks(state: WizardState, records: Iterable[NetworkRecord]) -> WizardState:
    """The API's list arrived; keep the user's choices that are still possible."""
    options = tuple(NetworkOption.of(r) for r in records)
    loaded = dataclasses.replace(state, networks=options, networks_loaded=True, networks_error="")
    chosen = [c for c in state.chosen if _choosable(loaded, c) or _enrolled_here(loaded, c)]
    if not state.networks_loaded and not chosen and _choosable(loaded, PRACTICE):
        chosen = [PRACTICE]  # a newcomer's first run: the practice network, pre-ticked
    return dataclasses.replace(loaded, chosen=tuple(chosen))


def with_networks_error(state: WizardState, message: str) -> WizardState:
    return dataclasses.replace(state, networks_error=message)


def _choosable(state: WizardState, network_id: str) -> bool:
    option = state.network(network_id)
    return (
        option is not None
        and option.not_joinable is None
        and not option.enrolled
        and not reasons(state, option)
    )


def _enrolled_here(state: WizardState, network_id: str) -> bool:
    """Enrolled by this very wizard run (it stays chosen, so Back shows it as done)."""
    done = state.enrollment(network_id)
    return done is not None and done.ok


def choose(state: WizardState, network_id: str, on: bool) -> WizardState:
    """Tick or untick a network; a locked one stays unticked and the problem says why."""
    option = state.network(network_id)
    if option is None:
        return dataclasses.replace(state, problem=Problem(f"There is no network {network_id!r}."))
    if not on:
        kept = tuple(c for c in state.chosen if c != network_id)
        return dataclasses.replace(state, chosen=kept, problem=None)
    if network_id in state.chosen and _enrolled_here(state, network_id):
        return dataclasses.replace(state, problem=None)
    if option.enrolled:
        message = f"{option.display_name} is already enrolled; manage it on the Networks page."
        return dataclasses.replace(state, problem=Problem(message, network_id))
    blocked = why_not(state, option)
    if blocked:
        return dataclasses.replace(state, problem=Problem(blocked, network_id))
    if network_id in state.chosen:
        return dataclasses.replace(state, problem=None)
    order = [n.id for n in state.networks]
    ranked = sorted((*state.chosen, network_id), key=order.index)
    return dataclasses.replace(state, chosen=tuple(ranked), problem=None)


def revalidate(state: WizardState) -> WizardState:
    """After a re-check: drop choices a newly failing check locked, and say so."""
    kept = tuple(c for c in state.chosen if _choosable(state, c) or _enrolled_here(state, c))
    dropped = [c for c in state.chosen if c not in kept]
    if not dropped:
        return state
    option = state.network(dropped[0])
    text = ""
    if option is not None:
        text = (
            f"{option.display_name} was unticked: "
            + "; ".join(short_reasons(state, option))
            + ". The fixes are on the checks page."
        )
    return dataclasses.replace(state, chosen=kept, problem=Problem(text, dropped[0]))


def blocker(state: WizardState) -> Problem | None:
    """Why Next cannot leave the networks step: no list yet, or a locked choice."""
    if not state.networks_loaded:
        if state.networks_error:
            return Problem(
                f"The list of networks could not be loaded: {state.networks_error}. "
                "Press Next to try again."
            )
        return Problem("Loading the networks from RigPilot's worker…")
    return choice_blocker(state)


def choice_blocker(state: WizardState) -> Problem | None:
    """A chosen network that cannot be enrolled now (a stale tick)."""
    for network_id in state.chosen:
        option = state.network(network_id)
        if _enrolled_here(state, network_id):
            continue
        if option is None or not _choosable(state, network_id):
            text = why_not(state, option) if option is not None else "unknown network"
            return Problem(text or f"{network_id} cannot be enrolled now.", network_id)
    return None


def next_after(state: WizardState) -> Step:
    return Step.CREDENTIALS if state.chosen else Step.DEFAULTS


def check_of(state: WizardState, check_id: str) -> CheckResult | None:
    return next((c for c in state.checks if c.id == check_id), None)
