"""The checks step: the doctor's results, what they mean for the user, and the commands to copy.

Failing checks do not stop the wizard: they only stop the networks that stand on them
(see ``networks_step``), so a newcomer without Docker can still finish with the practice
network. The step only waits until the checks have run once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from desktop.model import CheckResult, CheckStatus
from desktop.wizard.state import Problem, WizardState

# The checks a GPU container test stands on (desktop.checks.runner's plan); only when they
# all pass is the slower smoke run worth starting.
SMOKE_NEEDS = ("driver", "docker.engine", "toolkit.version", "toolkit.runtime")


def started(state: WizardState) -> WizardState:
    """A (re-)check began: keep showing the old results until the new ones arrive."""
    return dataclasses.replace(state, checks_running=True, checks_error="", problem=None)


def with_results(state: WizardState, results: Sequence[CheckResult]) -> WizardState:
    return dataclasses.replace(
        state,
        checks=tuple(results),
        checks_ran=True,
        checks_running=False,
        checks_error="",
        problem=None,
    )


def with_error(state: WizardState, message: str) -> WizardState:
    """The doctor itself could not run: say so, and let the user go on (the worker still
    judges each network's requirements)."""
    return dataclasses.replace(state, checks_running=False, checks_error=message, problem=None)


def merge(old: Iterable[CheckResult], new: Iterable[CheckResult]) -> list[CheckResult]:
    """Results of a second, fuller run replace the first run's, keeping the plan's order."""
    fresh = {r.id: r for r in new}
    merged = [fresh.pop(r.id, r) for r in old]
    return merged + list(fresh.values())


def wants_smoke(results: Sequence[CheckResult]) -> bool:
    """True when the GPU container test can run (everything it stands on passed)."""
    status = {r.id: r.status for r in results}
    return all(status.get(i) in (CheckStatus.PASS, CheckStatus.WARN) for i in SMOKE_NEEDS)


def failing(results: Iterable[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.status is CheckStatus.FAIL]


def headline(state: WizardState) -> str:
    """One sentence over the results, for the top of the page."""
    if state.checks_running and not state.checks_ran:
        return "Checking this computer…"
    if state.checks_error:
        return f"The checks could not run: {state.checks_error}"
    if not state.checks_ran:
        return "The checks have not run yet."
    bad = failing(state.checks)
    warn = [r for r in state.checks if r.status is CheckStatus.WARN]
    if not bad and not warn:
        return "Everything RigPilot checks is in order."
    if not bad:
        return f"Ready, with {len(warn)} warning{'s' if len(warn) != 1 else ''} worth reading."
    names = ", ".join(r.title for r in bad[:3]) + ("…" if len(bad) > 3 else "")
    return (
        f"{len(bad)} problem{'s' if len(bad) != 1 else ''} to fix ({names}). Networks that "
        "need them stay locked until then; the practice network works anyway."
    )


def blocker(state: WizardState) -> Problem | None:
    """The checks step only waits for the first run to finish (or to fail to run)."""
    if state.checks_running and not state.checks_ran:
        return Problem("The checks are still running; they take a few seconds.")
    if not state.checks_ran and not state.checks_error:
        return Problem("Run the checks first (press Re-check).")
    return None
