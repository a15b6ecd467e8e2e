"""The settings file: tolerant loading, validated patches and crash-safe saving.

Why so careful: settings drive the thermal guard, and a hand-edit must never cost the user
what they wrote. Loading never raises: of ``settings.json`` and ``settings.json.prev`` the
newest GOOD copy (every value valid) wins; if neither is good, the newest one that parses
lends its valid values and the rest are defaults. A main file that is not good is copied
aside under a dated name (desktop/settings/recovery.py) BEFORE anything could replace it,
and ``warnings`` says which file, why, where the copy is and what is in force. A change is
saved atomically (desktop.atomic) only after it passed every rule, so the old settings stay
in force on any refusal or write error; a file hand-edited while the worker ran is kept
aside too before a change replaces it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from desktop import clock as wall
from desktop.atomic import atomic_write, prev_path
from desktop.settings.errors import SettingsError, SettingsSaveError, show_value
from desktop.settings.recovery import EDITED_INFIX, Reading, examine, file_identity, keep_aside
from desktop.settings.schema import FIELDS, SCHEMA_VERSION
from desktop.settings.validate import Validator, cross_field_errors, validate_patch
from desktop.settings.values import Settings

# The package's logger, as before the split, so log filters and formats see the same name.
log = logging.getLogger("desktop.settings")
# "thermal", "gaming"...: the only objects a file may nest settings in.
_GROUPS = frozenset(key.rsplit(".", 1)[0] for key in FIELDS if "." in key)


def _flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    """Accept both dotted keys and nested objects ({"thermal": {"pause_limit_c": 85}}).

    Only the schema's groups are descended into, so a hostile file cannot make this
    recurse: anything deeper is an unknown setting.
    """
    flat: dict[str, Any] = {}
    stack: list[tuple[Mapping[str, Any], str]] = [(data, "")]
    while stack:
        mapping, prefix = stack.pop()
        for key, value in mapping.items():
            full = f"{prefix}{key}"
            if full not in FIELDS and full in _GROUPS and isinstance(value, Mapping):
                stack.append((value, full + "."))
            else:
                flat[full] = value
    return flat


def _interpret(data: Any) -> tuple[Settings, list[str], list[str]]:
    """Settings from a decoded file, keeping every good value: (settings, problems, notes).

    ``problems`` make the file not good (a bad value, a typo'd key, a broken rule);
    ``notes`` do not (a file of another schema version with settings this one lacks).
    Raises ValueError when the document is not a settings object at all.
    """
    if not isinstance(data, Mapping):
        raise ValueError("not a JSON object")
    body = data.get("settings", data) if "version" in data or "settings" in data else data
    if not isinstance(body, Mapping):
        raise ValueError('"settings" is not a JSON object')
    version = data.get("version", SCHEMA_VERSION)
    same_version = version == SCHEMA_VERSION
    problems: list[str] = []
    notes = (
        []
        if same_version
        else [
            f"settings file has schema version {show_value(version)}; this RigPilot reads "
            f"version {SCHEMA_VERSION}, so only the settings it knows are used"
        ]
    )
    good: dict[str, Any] = {}
    for key, value in _flatten(body).items():
        if key not in FIELDS:
            (problems if same_version else notes).append(f"unknown setting {key!r} ignored")
            continue
        try:
            good[key] = FIELDS[key].check(value)
        except SettingsError as exc:
            problems.append(f"{exc.message}; using the default {show_value(FIELDS[key].default)}")
    settings = Settings(good)
    for problem in cross_field_errors(settings):
        problems.append(f"{problem.message}; using the default for {problem.field}")
        settings = settings.replace({problem.field: FIELDS[problem.field].default})
    # Resetting one field of a pair always satisfies the rules (defaults are null / empty).
    return settings, problems, notes


def from_json(data: Any) -> tuple[Settings, list[str]]:
    """Build settings from a decoded file, keeping every good value; returns the warnings.

    Raises ValueError when the document is not a settings object at all (the caller then
    tries ``.prev``).
    """
    settings, problems, notes = _interpret(data)
    return settings, notes + problems


def to_bytes(settings: Settings) -> bytes:
    doc = {"version": SCHEMA_VERSION, "settings": settings.to_json()}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class SettingsStore:
    """The settings file of one installation; owned by the worker, which serialises changes.

    Attributes:
        warnings: what the last load found, in sentences naming the file (API and status
            show them).
        kept_aside: where a main file that was not good was copied, if one was.
    """

    def __init__(self, path: Path | str, clock: Callable[[], float] = wall.read) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._current: Settings | None = None
        self._main_bad: Reading | None = None  # the main file, when it is not good
        self._identity: tuple[int, int, int] | None = None
        self.kept_aside: Path | None = None
        self.warnings: list[str] = []

    def load(self) -> Settings:
        """Read the newest good copy (see the module docstring). Never raises."""
        warnings: list[str] = []
        main = examine(self.path)
        result, chosen = self._choose(main, warnings)
        self._main_bad = main if main is not None and not main.good else None
        self.kept_aside = None
        if self._main_bad is not None:
            warnings.insert(0, self._set_aside(self._main_bad, chosen))
        for line in warnings:
            log.warning("settings: %s", line)
        with self._lock:
            self._current, self.warnings = result, warnings
            self._identity = file_identity(self.path)
        return result

    def _choose(self, main: Reading | None, warnings: list[str]) -> tuple[Settings, Path | None]:
        """The settings in force and the file they come from (None: the defaults)."""
        readings: list[Reading] = []
        usable: list[tuple[Reading, Settings, list[str]]] = []
        for reading in self._newest_first(main):
            readings.append(reading)
            if not reading.damaged:
                try:
                    settings, problems, notes = _interpret(reading.document)
                except ValueError as exc:
                    reading.problems, reading.damaged = [f"is not settings ({exc})"], True
                else:
                    reading.problems += problems
                    usable.append((reading, settings, notes))
            if reading.good:
                break  # an older copy is not even read
        for reading, settings, notes in usable:  # the newest good copy wins
            if reading.good:
                warnings += notes
                if main is None:
                    warnings.append(f"{self.path.name} is missing; using {reading.path.name}")
                return settings, reading.path
        if usable:  # none is good: the newest that parses lends its valid values
            reading, settings, notes = usable[0]
            warnings += notes + [f"{reading.path.name}: {p}" for p in reading.problems]
            if reading is not main:
                warnings.append(f"using the valid settings of {reading.path.name}")
            return settings, reading.path
        if readings:
            warnings += [
                f"{r.path.name} is damaged: it {r.problems[0]}" for r in readings if r is not main
            ]
            warnings.append("using the default settings")
        return Settings(), None

    def _newest_first(self, main: Reading | None) -> Iterator[Reading]:
        if main is not None:
            yield main
        prev = examine(prev_path(self.path))
        if prev is not None:
            yield prev

    def _set_aside(self, main: Reading, chosen: Path | None) -> str:
        """Copy the main file aside before anything can replace it; the sentence to show."""
        more = f" (and {len(main.problems) - 1} more)" if len(main.problems) > 1 else ""
        why = (
            f"is damaged: it {main.problems[0]}"
            if main.damaged
            else f"has settings that are not valid: {main.problems[0]}{more}"
        )
        in_force = "the default settings" if chosen is None else chosen.name
        if chosen == self.path:
            in_force = "its valid settings (the others are defaults)"
        try:
            if main.data is None:  # unreadable: there is nothing to copy, and no save over it
                raise OSError("it cannot be read")
            self.kept_aside = keep_aside(self.path, main.data, self._clock())
        except OSError as exc:
            return (
                f"{self.path} {why}; RigPilot uses {in_force} but could not keep a copy of "
                f"the file ({exc.strerror or exc}), so it will not save settings over it"
            )
        return (
            f"{self.path} {why}; it was kept as {self.kept_aside.name} and RigPilot uses "
            f"{in_force}. Fix the copy and put it back, or change the settings again."
        )

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
            SettingsSaveError: the file could not be written, or a file that is not good
                could not be kept aside first; the old settings stay in force.
        """
        current = self.current
        with self._lock:
            candidate = validate_patch(current, changes, extra_validators)
            if candidate == current and self.path.exists() and self._main_bad is None:
                return current
            try:
                self._protect_what_is_on_disk()
                atomic_write(self.path, to_bytes(candidate), keep_prev=self._main_bad is None)
            except OSError as exc:
                raise SettingsSaveError(
                    f"could not save the settings to {self.path}: {exc}"
                ) from exc
            self._current, self._main_bad = candidate, None
            self._identity = file_identity(self.path)
            return candidate

    def _protect_what_is_on_disk(self) -> None:
        """Before a save replaces the main file: a bad one must already be kept aside, and
        one edited by hand since it was read is kept aside now (raises OSError if not)."""
        if self._main_bad is not None and self.kept_aside is None:
            if self._main_bad.data is None:
                raise OSError(f"{self.path} cannot be read, so RigPilot will not replace it")
            self.kept_aside = keep_aside(self.path, self._main_bad.data, self._clock())
        identity = file_identity(self.path)
        if identity is None or identity == self._identity or self._main_bad is not None:
            return
        copy = keep_aside(self.path, self.path.read_bytes(), self._clock(), EDITED_INFIX)
        log.warning(
            "settings: %s was changed on disk while the worker ran; that version was kept "
            "as %s before saving the change made through RigPilot",
            self.path,
            copy.name,
        )
