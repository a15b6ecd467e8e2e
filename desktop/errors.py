"""The errors the worker's domain raises when it refuses or cannot do what it was asked.

Why here and not in the API layer: the job service, the network layer and the worker's
record decide *that* something is refused and why; only the local API knows that a
refusal travels as HTTP 422 or a missing thing as 404. Domain code raises these (stdlib
only, so any layer may), and ``desktop.ipc.server`` maps each class to its HTTP status in
one table. Every message is a sentence a person understands, naming the problem and the
fix; ``code`` is the stable word clients branch on.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of the refusals: ``message`` for people, ``code`` for programs.

    Attributes:
        message: what is wrong and what to do about it.
        code: a stable code (the class's own, or a finer one such as a job spec's
            refusal code from docs/jobs.md).
        field: the request field at fault, when one is.
        allowed: what that field accepts (a range, the choices), when it helps.
    """

    default_code: ClassVar[str] = "refused"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        allowed: Any = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.allowed = allowed
        self.code = code or self.default_code


class NotFound(DomainError):
    """The thing named does not exist (a GPU index, a job id, a network, an operation)."""

    default_code = "not_found"


class Conflict(DomainError):
    """It exists, but its state forbids this now (remove a network that is not enrolled)."""

    default_code = "conflict"


class Unavailable(DomainError):
    """The part that would do it is missing or cannot work now (no Docker engine, no
    jobs service in this worker, the disk refused the settings file)."""

    default_code = "unavailable"


class Refused(DomainError):
    """The request is well formed but its content is not acceptable (a credential that
    does not check out, a pause that ends in the past, a job spec that breaks a rule)."""

    default_code = "invalid_request"


class InvalidSetting(Refused):
    """A settings change refused whole; ``field`` is the setting, ``allowed`` its range."""

    default_code = "invalid_setting"
