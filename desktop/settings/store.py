"""The settings file: tolerant loading, validated patches and crash-safe saving.

Why so careful: loading never crashes (a damaged file falls back to ``.prev``, then to the
defaults, with a warning), and a change is saved atomically with a ``.prev`` copy
(desktop.atomic) only after it passed every rule, so the old settings stay in force on any
refusal or write error.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from desktop.atomic import atomic_write, prev_path
from desktop.settings.errors import SettingsError, SettingsSaveError, show_value
from desktop.settings.schema import FIELDS, SCHEMA_VERSION
from desktop.settings.validate import Validator, cross_field_errors, validate_patch
from desktop.settings.values import Settings

# The package's logger, as before the split, so log filters and formats see the same name.
log = logging.getLogger("desktop.settings")


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Accept both dotted keys and nested objects ({"thermal": {"pause_limit_c": 85}})."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if full not in FIELDS and isinstance(value, Mapping):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = value
    return flat


def from_json(data: Any) -> tuple[Settings, list[str]]:
    """Build settings from a decoded file, keeping every good value; returns the warnings.

    Raises ValueError when the document is not a settings object at all (the caller then
    tries ``.prev``).
    """
    if not isinstance(data, Mapping):
        raise ValueError("not a JSON object")
    body = data.get("settings", data) if "version" in data or "settings" in data else data
    if not isinstance(body, Mapping):
        raise ValueError('"settings" is not a JSON object')
    version = data.get("version", SCHEMA_VERSION)
    warnings = (
        []
        if version == SCHEMA_VERSION
        else [
            f"settings file has schema version {version!r}; this RigPilot reads version "
            f"{SCHEMA_VERSION}, so only the settings it knows are used"
        ]
    )
    good: dict[str, Any] = {}
    for key, value in _flatten(body).items():
        if key not in FIELDS:
            warnings.append(f"unknown setting {key!r} ignored")
            continue
        try:
            good[key] = FIELDS[key].check(value)
        except SettingsError as exc:
            warnings.append(f"{exc.message}; using the default {show_value(FIELDS[key].default)}")
    settings = Settings(good)
    for problem in cross_field_errors(settings):
        warnings.append(f"{problem.message}; using the default for {problem.field}")
        settings = settings.replace({problem.field: FIELDS[problem.field].default})
    # Resetting one field of a pair always satisfies the rules (defaults are null / empty).
    return settings, warnings


def to_bytes(settings: Settings) -> bytes:
    doc = {"version": SCHEMA_VERSION, "settings": settings.to_json()}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class SettingsStore:
    """The settings file of one installation; owned by the worker, which serialises changes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._current: Settings | None = None
        self._main_damaged = False
        self.warnings: list[str] = []

    def _read(self, path: Path) -> tuple[Settings, list[str]]:
        return from_json(json.loads(path.read_bytes().decode("utf-8")))

    def load(self) -> Settings:
        """Read the file: missing → defaults; damaged → ``.prev``, then defaults. Never raises."""
        warnings: list[str] = []
        self._main_damaged = False
        result: Settings | None = None
        for candidate in (self.path, prev_path(self.path)):
            if not candidate.exists():
                continue
            try:
                result, found = self._read(candidate)
            except (OSError, ValueError) as exc:  # JSONDecodeError, UnicodeDecodeError: ValueError
                warnings.append(f"{candidate.name} is damaged ({exc}); it was not used")
                self._main_damaged = self._main_damaged or candidate == self.path
                continue
            warnings += found
            if candidate != self.path:
                warnings.append(f"using the previous copy {candidate.name}")
            break
        if result is None:
            result = Settings()
            if warnings:
                warnings.append("using the default settings")
        for line in warnings:
            log.warning("settings: %s", line)
        with self._lock:
            self._current, self.warnings = result, warnings
        return result

    @property
    def current(self) -> Settings:
        """The settings in force (loaded on first use)."""
        return self._current if self._current is not None else self.load()

    def patch(
        self, changes: Mapping[str, Any], extra_validators: Iterable[Validator] = ()
    ) -> Settings:
        """Validate ``changes`` whole, then save and return the new settings.

        Raises:
            SettingsError: some value or rule is refused (all problems in ``.errors``);
                nothing is saved and the old settings stay in force.
            SettingsSaveError: the file could not be written; the old settings stay in force.
        """
        current = self.current
        with self._lock:
            candidate = validate_patch(current, changes, extra_validators)
            if candidate == current and self.path.exists():
                return current
            try:
                atomic_write(self.path, to_bytes(candidate), keep_prev=not self._main_damaged)
            except OSError as exc:
                raise SettingsSaveError(
                    f"could not save the settings to {self.path}: {exc}"
                ) from exc
            self._current, self._main_damaged = candidate, False
            return candidate
