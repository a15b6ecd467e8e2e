"""The rules a whole change must pass: each value, the rules tying fields together, and the
caller's own checks, all gathered before anything is saved.

Why whole: a form that sets the pause and resume limits together must not be refused for an
intermediate state, and the user should see every bad field at once, not one per attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from desktop.guard.schedule import ScheduleError, parse_windows
from desktop.settings.errors import SettingsError, num
from desktop.settings.schema import FIELDS, unknown_key_error
from desktop.settings.values import Settings

Validator = Callable[[Settings], Iterable[tuple[str, str, str]]]


def validate_patch(
    current: Settings, changes: Mapping[str, Any], extra_validators: Iterable[Validator] = ()
) -> Settings:
    """The settings ``changes`` would give, or the first SettingsError (all in ``.errors``)."""
    errors: list[SettingsError] = []
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in FIELDS:
            errors.append(unknown_key_error(key))
            continue
        try:
            clean[key] = FIELDS[key].check(value)
        except SettingsError as exc:
            errors.append(exc)
    candidate = current.replace(clean)
    if not errors:
        errors += cross_field_errors(candidate, clean)
        for validator in extra_validators:
            errors += [SettingsError(f, m, a) for f, m, a in validator(candidate)]
    if errors:
        errors[0].errors = tuple(errors)
        raise errors[0]
    return candidate


def cross_field_errors(s: Settings, changed: Iterable[str] = ()) -> list[SettingsError]:
    """Rules that tie fields together; each error names the field the user just changed."""
    changed = set(changed)
    errors: list[SettingsError] = []

    def pick(a: str, b: str) -> str:
        return b if b in changed and a not in changed else a

    pause, resume, soft = (s.get(f"thermal.{k}_limit_c") for k in ("pause", "resume", "soft"))
    if pause is not None and resume is not None and not resume < pause - 5:
        field = pick("thermal.resume_limit_c", "thermal.pause_limit_c")
        errors.append(
            SettingsError(
                field,
                f"thermal.resume_limit_c ({num(resume)} °C) must be "
                f"more than 5 °C below thermal.pause_limit_c ({num(pause)} °C)",
                f"resume below {num(pause - 5)} °C",
            )
        )
    if pause is not None and soft is not None and not soft < pause:
        field = pick("thermal.soft_limit_c", "thermal.pause_limit_c")
        errors.append(
            SettingsError(
                field,
                f"thermal.soft_limit_c ({num(soft)} °C) must be below "
                f"thermal.pause_limit_c ({num(pause)} °C)",
                f"soft limit below {num(pause)} °C",
            )
        )
    overlap = _windows_overlap(s.get("schedule.windows"))
    if overlap:
        errors.append(SettingsError("schedule.windows", overlap, "windows that do not overlap"))
    return errors


def _windows_overlap(windows: list[dict[str, Any]]) -> str:
    """The first problem of the schedule windows (an overlap), or '' (the one validator of
    windows is desktop.guard.schedule's)."""
    try:
        parse_windows(windows)
    except ScheduleError as exc:
        return exc.problems[0]
    return ""
