"""The two ways a settings change fails, and how a bad value is quoted in the message.

Why a module of its own: the per-field rules, the cross-field rules, the store and the CLI
parser all raise the same SettingsError, whose JSON form is what the API and the GUI's forms
show next to the field, so it must not depend on any one of them.
"""

from __future__ import annotations

import json
from typing import Any


class SettingsError(ValueError):
    """A refused setting: ``field`` names it, ``allowed`` says what would be accepted.

    ``errors`` holds every problem found in the same patch (this one first), so a form can
    mark all bad fields at once.
    """

    def __init__(self, field: str, message: str, allowed: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.allowed = allowed
        self.errors: tuple[SettingsError, ...] = (self,)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": "invalid_setting",
            "field": self.field,
            "message": self.message,
            "allowed": self.allowed,
        }


class SettingsSaveError(OSError):
    """The settings were valid but could not be written; the old ones stay in force."""


def show_value(value: Any) -> str:
    """A short, quoted rendering of a bad value for an error message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:40] + "..."


def num(x: float) -> str:
    """A number as a person writes it in a message: 85, not 85.0."""
    return f"{x:g}"
