"""Enrollment input checked against a network's credential schema and requirements.

Why before the adapter sees anything: a missing field, a field the network does not have
or an unmet requirement is refused with a sentence naming the field and the fix, and a
secret never reaches the ledger (only the keyring) because it is split off here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop.model import CheckStatus
from desktop.networks.base import EnrollmentError, NetworkAdapter
from desktop.networks.records import HostFacts


def split_credentials(
    adapter: NetworkAdapter, creds: Mapping[str, Any], facts: HostFacts | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Check enrollment input against the adapter's schema and requirements.

    Returns (secret fields, plain fields); raises EnrollmentError naming the field or the
    unmet requirement and its fix. Secret values never appear in the messages.
    """
    schema = {f.name: f for f in adapter.credential_schema()}
    for name, value in creds.items():
        if name not in schema:
            known = ", ".join(schema) or "none"
            raise EnrollmentError(
                f"{adapter.display_name} has no field {name!r}; its fields: {known}.", name
            )
        if not isinstance(value, str):
            raise EnrollmentError(f"{name} must be text.", name)
    for name, spec in schema.items():
        if spec.required and not str(creds.get(name) or "").strip():
            raise EnrollmentError(
                f"{adapter.display_name} needs {spec.label or name}: {spec.how_to_obtain}", name
            )
    if facts is not None:
        failing = [c for c in adapter.requirements(facts) if c.status == CheckStatus.FAIL]
        if failing:
            fixes = " ".join(c.fix for c in failing if c.fix)
            raise EnrollmentError(
                f"This computer does not meet {adapter.display_name}'s requirements: {fixes}"
            )
    secret = {k: str(v) for k, v in creds.items() if schema[k].secret and v}
    plain = {k: str(v) for k, v in creds.items() if not schema[k].secret}
    return secret, plain
