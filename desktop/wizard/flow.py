"""The first-run wizard as data plus pure functions (style.md §3 and §9 rule 4).

``NAVMAP`` says, per step, what blocks "Next" (``blocker``), what happens when the user
leaves the step (``accept``: the only place the worker is called, through the port) and
which step follows (``next``). The Qt pages in ``desktop.ui.wizard`` only render a
``WizardState`` and feed inputs back through the step modules; the headless tests drive
``advance`` and ``back`` with a fake port.

welcome → checks → networks → credentials (once per chosen network) → defaults →
electricity → autostart → done
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from desktop.wizard import checks_step, credentials_step, networks_step, readiness
from desktop.wizard import preferences_step as prefs
from desktop.wizard.port import PortError, WizardPort
from desktop.wizard.state import ORDER, Problem, Step, WizardState

Place = tuple[Step, int]  # a step, and for CREDENTIALS the index into ``chosen``


def _none(_state: WizardState) -> Problem | None:
    return None


@dataclass(frozen=True)
class StepRule:
    """One view of the wizard: its title, what blocks it, its side effect, what follows."""

    title: str
    next: Callable[[WizardState], Place]
    blocker: Callable[[WizardState], Problem | None] = _none
    accept: Callable[[WizardState, WizardPort], WizardState] | None = None
    last: bool = False


def _patch(state: WizardState, port: WizardPort, changes: dict[str, object]) -> WizardState:
    """Send one settings change; the worker's answer (or refusal) becomes the state."""
    if not changes:
        return state
    try:
        answer = port.patch_settings(dict(changes))
    except PortError as exc:
        return prefs.with_refused(state, exc)
    return prefs.with_applied(state, answer)


def _accept_credentials(state: WizardState, port: WizardPort) -> WizardState:
    option = state.current_network
    if option is None:
        return state
    done = state.enrollment(option.id)
    if done is not None and done.ok:
        return state
    try:
        answer = port.enroll(option.id, credentials_step.values_for(state, option.id))
    except PortError as exc:
        return credentials_step.with_refused(state, option.id, exc)
    return credentials_step.with_enrolled(state, option.id, answer)


def _accept_defaults(state: WizardState, port: WizardPort) -> WizardState:
    changes, problem = prefs.defaults_changes(state)
    if problem is not None:
        return dataclasses.replace(state, problem=problem)
    return _patch(state, port, changes)


def _accept_checks(state: WizardState, port: WizardPort) -> WizardState:
    """Leaving the checks: fetch the networks (and settings) afresh; the worker's view of
    the requirements may have changed with the machine, and at the very first start the
    worker may only just have come up."""
    return load(state, port)


def _accept_networks(state: WizardState, port: WizardPort) -> WizardState:
    if state.networks_loaded:
        return state
    state = load(state, port)
    if not state.networks_loaded:
        return dataclasses.replace(state, problem=networks_step.blocker(state))
    # The list only just arrived: let the user see it and choose before moving on.
    return dataclasses.replace(
        state, problem=Problem("The networks are here: choose where your GPU works, then Next.")
    )


def _after_credentials(state: WizardState) -> Place:
    if state.cred_index + 1 < len(state.chosen):
        return (Step.CREDENTIALS, state.cred_index + 1)
    return (Step.DEFAULTS, 0)


NAVMAP: dict[Step, StepRule] = {
    Step.WELCOME: StepRule("Welcome", lambda s: (Step.CHECKS, 0)),
    Step.CHECKS: StepRule(
        "Check this computer", lambda s: (Step.NETWORKS, 0), checks_step.blocker, _accept_checks
    ),
    Step.NETWORKS: StepRule(
        "Choose networks",
        lambda s: (networks_step.next_after(s), 0),
        networks_step.choice_blocker,
        _accept_networks,
    ),
    Step.CREDENTIALS: StepRule(
        "Sign in to the network",
        _after_credentials,
        credentials_step.blocker,
        _accept_credentials,
    ),
    Step.DEFAULTS: StepRule(
        "Heat and games", lambda s: (Step.ELECTRICITY, 0), accept=_accept_defaults
    ),
    Step.ELECTRICITY: StepRule(
        "Electricity price",
        lambda s: (Step.AUTOSTART, 0),
        accept=lambda s, p: _patch(s, p, prefs.electricity_changes(s)),
    ),
    Step.AUTOSTART: StepRule(
        "Start with your computer",
        lambda s: (Step.DONE, 0),
        accept=lambda s, p: _patch(s, p, prefs.autostart_changes(s)),
    ),
    Step.DONE: StepRule("All set", lambda s: (Step.DONE, 0), last=True),
}


def rule(state: WizardState) -> StepRule:
    return NAVMAP[state.step]


def blocker(state: WizardState) -> Problem | None:
    """Why "Next" cannot go on right now, or None."""
    return rule(state).blocker(state)


def is_last(state: WizardState) -> bool:
    return rule(state).last


def _go(state: WizardState, place: Place) -> WizardState:
    here = (state.step, state.cred_index)
    return dataclasses.replace(
        state, step=place[0], cred_index=place[1], history=(*state.history, here), problem=None
    )


def advance(state: WizardState, port: WizardPort) -> WizardState:
    """One press of "Next": check, accept (maybe calling the worker), move on.

    Blocking when the step's accept calls the port: the GUI runs it off its thread. On a
    refusal the state stays on the same step with ``problem`` set.
    """
    current = rule(state)
    if current.last:
        return state
    problem = current.blocker(state)
    if problem is not None:
        return dataclasses.replace(state, problem=problem)
    if current.accept is not None:
        state = current.accept(dataclasses.replace(state, problem=None), port)
        if state.problem is not None:
            return state
    return _go(state, current.next(state))


def back(state: WizardState) -> WizardState:
    """One press of "Back" (nothing is undone: what the worker accepted stays accepted)."""
    if not state.history:
        return state
    step, index = state.history[-1]
    return dataclasses.replace(
        state, step=step, cred_index=index, history=state.history[:-1], problem=None
    )


def skip_network(state: WizardState) -> WizardState:
    """ "Skip" on a credentials step: leave this network for later and move on."""
    if state.step is not Step.CREDENTIALS:
        return state
    return _go(credentials_step.skip_current(state), _after_credentials(state))


def load(state: WizardState, port: WizardPort) -> WizardState:
    """Fetch the networks and the settings (blocking); failures are kept, not raised."""
    try:
        state = networks_step.with_networks(state, port.networks())
    except PortError as exc:
        state = networks_step.with_networks_error(state, exc.message)
    try:
        state = prefs.with_settings(state, port.settings())
    except PortError:
        pass  # the preference steps then start from the defaults; PATCH reports problems
    return state


def run_checks(state: WizardState, port: WizardPort, smoke: bool = False) -> WizardState:
    """Run the doctor (blocking) and fold its results in; re-judges the chosen networks."""
    try:
        results = port.run_checks(smoke)
    except PortError as exc:
        return checks_step.with_error(state, exc.message)
    if smoke and state.checks:
        results = checks_step.merge(state.checks, results)
    return networks_step.revalidate(checks_step.with_results(state, results))


def position(state: WizardState) -> tuple[int, int]:
    """("Step n of m") for the header; credentials count once per chosen network."""
    steps = [s for s in ORDER if s is not Step.CREDENTIALS or state.chosen]
    total = len(steps) + max(len(state.chosen) - 1, 0)
    index = steps.index(state.step) if state.step in steps else 0
    if state.step is Step.CREDENTIALS:
        index += state.cred_index
    elif ORDER.index(state.step) > ORDER.index(Step.CREDENTIALS):
        index += max(len(state.chosen) - 1, 0)
    return index + 1, total


def title(state: WizardState) -> str:
    option = state.current_network
    if option is not None:
        return f"Sign in to {option.display_name}"
    if state.step is Step.DONE:  # "All set" only on a computer that can earn
        return readiness.last_title(state)
    return rule(state).title
