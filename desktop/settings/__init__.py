"""User settings: a versioned schema of dotted keys, validated on load and on every change.

Why so strict: settings drive the thermal guard and the electricity maths, so a typo must
never turn into a silently wrong limit. A change (from the GUI, ``rigpilot settings set``
or the API) is validated WHOLE before anything is saved; a bad value is refused with a
sentence naming the field and the allowed range, and the old settings stay in force. The
file is written atomically with a ``.prev`` copy (desktop.atomic), and loading never
crashes: a damaged file falls back to ``.prev``, then to the defaults, with a warning.

The package's parts: ``errors`` (the refusal), ``field`` (one setting's value rules),
``schema`` (the table of settings), ``values`` (the immutable Settings), ``validate``
(whole-change and cross-field rules), ``store`` (the file) and ``cli_values`` (typed text).
Everything is imported from ``desktop.settings`` itself.
"""

from __future__ import annotations

from desktop.settings.cli_values import parse_cli_value
from desktop.settings.errors import SettingsError, SettingsSaveError
from desktop.settings.field import Field
from desktop.settings.schema import (
    DEFAULTS,
    FIELDS,
    SCHEMA_VERSION,
    schema_json,
    unknown_key_error,
)
from desktop.settings.store import SettingsStore, from_json, to_bytes
from desktop.settings.validate import Validator, cross_field_errors, validate_patch
from desktop.settings.values import Settings

__all__ = [
    "DEFAULTS",
    "FIELDS",
    "SCHEMA_VERSION",
    "Field",
    "Settings",
    "SettingsError",
    "SettingsSaveError",
    "SettingsStore",
    "Validator",
    "cross_field_errors",
    "from_json",
    "parse_cli_value",
    "schema_json",
    "to_bytes",
    "unknown_key_error",
    "validate_patch",
]
