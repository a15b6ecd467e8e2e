"""The credentials step: one per chosen network, fields from the adapter's schema.

What the user types is sent once, to the worker, which keeps secret fields in the OS
keyring and nowhere else; the wizard forgets them as soon as the enrollment is accepted.
A refusal (a bad key, no keyring) keeps the user on the step with the worker's message
next to the field at fault; "Skip" leaves that network for later.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from desktop.ipc.schema_networks import NetworkChange
from desktop.wizard.port import PortError
from desktop.wizard.state import CredentialSpec, Enrollment, NetworkOption, Problem, WizardState


def expiry_text(spec: CredentialSpec) -> str:
    """When the credential stops working, in words ("" when it does not expire)."""
    days = spec.expires_days
    if not days:
        return ""
    if days % 365 == 0:
        years = days // 365
        span = f"{years} year{'s' if years != 1 else ''}"
    else:
        span = f"{days} day{'s' if days != 1 else ''}"
    return f"Expires {span} after you create it; RigPilot reminds you before it does."


def values_for(state: WizardState, network_id: str) -> dict[str, str]:
    """The non-empty values typed for a network (what enrollment sends)."""
    typed = state.credentials.get(network_id, {})
    return {k: v.strip() for k, v in typed.items() if v.strip()}


def set_value(state: WizardState, network_id: str, field: str, value: str) -> WizardState:
    creds = {k: dict(v) for k, v in state.credentials.items()}
    creds.setdefault(network_id, {})[field] = value
    problem = state.problem if state.problem and state.problem.field != field else None
    return dataclasses.replace(state, credentials=creds, problem=problem)


def set_values(state: WizardState, network_id: str, values: Mapping[str, str]) -> WizardState:
    for field, value in values.items():
        state = set_value(state, network_id, field, value)
    return state


def missing(state: WizardState, option: NetworkOption) -> Problem | None:
    """A required field left empty, checked before bothering the worker."""
    typed = values_for(state, option.id)
    for spec in option.credential_fields:
        if spec.required and spec.name not in typed:
            hint = f" {spec.how_to_obtain}" if spec.how_to_obtain else ""
            return Problem(f"{option.display_name} needs {spec.title}.{hint}", spec.name)
    return None


def blocker(state: WizardState) -> Problem | None:
    option = state.current_network
    if option is None:
        return None
    done = state.enrollment(option.id)
    if done is not None and done.ok:
        return None
    return missing(state, option)


def with_enrolled(state: WizardState, network_id: str, answer: NetworkChange) -> WizardState:
    """The worker accepted: remember the outcome (and any step left), forget the values.

    An enrollment still going on in the background (``answer.operation``) says so; the
    Networks page shows how it ends.
    """
    action = answer.action_required
    message = action.message if action is not None else ""
    if not message and answer.accepted and answer.operation is not None:
        message = f"Still going on: {answer.operation.message}"
    outcome = Enrollment(
        network=network_id,
        ok=True,
        message=message,
        url=action.url if action is not None else None,
        command=action.command if action is not None else None,
    )
    creds = {k: v for k, v in state.credentials.items() if k != network_id}
    others = tuple(e for e in state.enrollments if e.network != network_id)
    skipped = tuple(s for s in state.skipped if s != network_id)
    return dataclasses.replace(
        state,
        enrollments=(*others, outcome),
        credentials=creds,
        skipped=skipped,
        problem=None,
    )


def with_refused(state: WizardState, network_id: str, error: PortError) -> WizardState:
    """The worker refused: stay on the step, with its message next to the field at fault."""
    outcome = Enrollment(network=network_id, ok=False, message=error.message, field=error.field)
    others = tuple(e for e in state.enrollments if e.network != network_id)
    problem = Problem(error.message, error.field or None)
    return dataclasses.replace(state, enrollments=(*others, outcome), problem=problem)


def skip_current(state: WizardState) -> WizardState:
    """Leave the current network for later (its typed values are forgotten)."""
    option = state.current_network
    if option is None:
        return state
    creds = {k: v for k, v in state.credentials.items() if k != option.id}
    skipped = state.skipped if option.id in state.skipped else (*state.skipped, option.id)
    return dataclasses.replace(state, credentials=creds, skipped=skipped, problem=None)
