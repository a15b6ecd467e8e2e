"""User settings: a versioned schema of dotted keys, validated on load and on every change.

Why so strict: settings drive the thermal guard and the electricity maths, so a typo must
never turn into a silently wrong limit. A change (from the GUI, ``rigpilot settings set``
or the API) is validated WHOLE before anything is saved; a bad value is refused with a
sentence naming the field and the allowed range, and the old settings stay in force. The
file is written atomically with a ``.prev`` copy (desktop.atomic), and loading never
crashes: a damaged file falls back to ``.prev``, then to the defaults, with a warning.
"""

from __future__ import annotations

import copy
import difflib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.atomic import atomic_write, prev_path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MISSING: Any = object()
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
# A Docker image reference as typed: [host[:port]/]name[:tag][@sha256:digest].
_IMAGE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$")


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


def _show(value: Any) -> str:
    """A short, quoted rendering of a bad value for an error message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:40] + "..."


def _num(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Field:
    """One setting: its type, default, bounds and the help sentence shown next to it."""

    key: str
    kind: str  # number | bool | choice | currency | names | images | windows
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    nullable: bool = False
    null_means: str = ""
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        """What the field accepts, in words (also the ``allowed`` of its errors)."""
        unit = f" {self.unit}" if self.unit else ""
        text = {
            "number": f"a number from {_num(self.minimum or 0)} to {_num(self.maximum or 0)}{unit}",
            "bool": "true or false",
            "choice": "one of " + ", ".join(self.choices),
            "currency": "a 3-letter currency code such as USD or EUR",
            "names": "a list of up to 200 program names, each 1 to 100 characters",
            "images": "a list of up to 100 local Docker image names such as busybox:1.36",
            "windows": 'a list of {"days": [0-6, Monday = 0], "start": "HH:MM", "end": "HH:MM"}',
        }[self.kind]
        return f"{text}, or null {self.null_means}".rstrip() if self.nullable else text

    def error(self, value: Any, detail: str = "") -> SettingsError:
        got = f" ({detail})" if detail else f" (got {_show(value)})"
        return SettingsError(self.key, f"{self.key} must be {self.allowed()}{got}", self.allowed())

    def check(self, value: Any) -> Any:
        """Return the canonical form of ``value`` or raise SettingsError."""
        if value is None:
            if self.nullable:
                return None
            raise self.error(value)
        if self.kind == "number":
            low, high = self.minimum or 0.0, self.maximum or 0.0
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not low <= value <= high:  # NaN and infinities fail the range too
                raise self.error(value)
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise self.error(value)
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise self.error(value)
            return value
        if self.kind == "currency":
            if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
                raise self.error(value)
            return value.strip().upper()
        if self.kind == "names":
            return self._check_names(value)
        if self.kind == "images":
            return self._check_images(value)
        return [self._check_window(i, w) for i, w in enumerate(self._as_list(value, 100), 1)]

    def _as_list(self, value: Any, limit: int) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise self.error(value)
        if len(value) > limit:
            raise self.error(value, f"got {len(value)} items")
        return list(value)

    def _check_names(self, value: Any) -> list[str]:
        names: list[str] = []
        for i, name in enumerate(self._as_list(value, 200), 1):
            if not isinstance(name, str):
                raise self.error(value, f"item {i} is {_show(name)}, not text")
            name = name.strip()
            if not 1 <= len(name) <= 100 or any(ord(c) < 32 for c in name):
                raise self.error(value, f"item {i} is {_show(name)}")
            if name not in names:
                names.append(name)
        return names

    def _check_images(self, value: Any) -> list[str]:
        images: list[str] = []
        for i, image in enumerate(self._as_list(value, 100), 1):
            if not isinstance(image, str):
                raise self.error(value, f"item {i} is {_show(image)}, not text")
            image = image.strip()
            if not _IMAGE_REF.match(image):
                raise self.error(value, f"item {i} is {_show(image)}, not an image name")
            if image not in images:
                images.append(image)
        return images

    def _check_window(self, index: int, window: Any) -> dict[str, Any]:
        def bad(detail: str) -> SettingsError:
            return SettingsError(self.key, f"{self.key}, window {index}: {detail}", self.allowed())

        if not isinstance(window, Mapping) or set(window) != {"days", "start", "end"}:
            raise bad('it needs exactly the keys "days", "start" and "end"')
        days = window["days"]
        if (
            not isinstance(days, list | tuple)
            or not days
            or any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in days)
        ):
            raise bad(f"days must be a non-empty list of 0 to 6, Monday = 0 (got {_show(days)})")
        for part in ("start", "end"):
            text = window[part]
            if (
                not isinstance(text, str)
                or not _TIME.match(text)
                or (text > "24:00" or (part == "start" and text == "24:00"))
            ):
                raise bad(f"{part} must be a time HH:MM such as 08:30 (got {_show(text)})")
        if window["start"] == window["end"]:
            raise bad("start and end are the same time; the window would be empty")
        return {"days": sorted(set(days)), "start": window["start"], "end": window["end"]}

    def schema(self) -> dict[str, Any]:
        kinds = {
            "number": "number",
            "bool": "boolean",
            "choice": "string",
            "currency": "string",
            "names": "list[string]",
            "images": "list[string]",
            "windows": "list[window]",
        }
        return {
            "type": kinds[self.kind],
            "default": copy.deepcopy(self.default),
            "min": self.minimum,
            "max": self.maximum,
            "choices": list(self.choices) or None,
            "nullable": self.nullable,
            "unit": self.unit,
            "help": self.help,
            "allowed": self.allowed(),
        }


_CARD = "to derive it from the card"
_NOCAP = "for no cap"
# fmt: off
FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("sampling.interval_s", "number", 2, "How often the GPU is read; faster costs a little "
          "CPU and does not make the guard safer.", 1, 5, "s"),
    Field("thermal.soft_limit_c", "number", None, "Core temperature at which RigPilot eases the "
          "load (duty cycle or lower power).", 50, 95, "°C", True, _CARD),
    Field("thermal.pause_limit_c", "number", None, "Core temperature at which work pauses until "
          "the card cools down.", 55, 100, "°C", True, _CARD),
    Field("thermal.resume_limit_c", "number", None, "Work resumes only once the core is this "
          "cool; keep it well below the pause limit.", 40, 90, "°C", True, _CARD),
    Field("thermal.cooldown_s", "number", 120, "Minimum time paused after a heat pause.",
          30, 3600, "s"),
    Field("thermal.memory_pause_limit_c", "number", None, "VRAM temperature that pauses work "
          "(only where the driver reports it).", 70, 110, "°C", True, _CARD),
    Field("thermal.user_power_limit_w", "number", None, "A power cap you choose for work; "
          "RigPilot never raises the card's own limit.", 1, 1000, "W", True, _NOCAP),
    Field("gaming.enabled", "bool", True, "Stop work when one of your games starts."),
    Field("gaming.games", "names", [], "Program names that count as games, besides the ones "
          "RigPilot recognises."),
    Field("gaming.quiet_period_s", "number", 300, "How long after a game closes before work "
          "resumes.", 0, 3600, "s"),
    Field("gaming.idle_only", "bool", False, "Only work while you are away from the computer."),
    Field("gaming.idle_after_s", "number", 600, "How long without keyboard or mouse counts as "
          "away.", 60, 7200, "s"),
    Field("schedule.enabled", "bool", False, "Only work inside the schedule windows."),
    Field("schedule.windows", "windows", [], "Weekly time windows when work is allowed; an end "
          "before the start runs past midnight."),
    Field("electricity.price_per_kwh", "number", 0.15, "What you pay per kWh, to show earnings "
          "after electricity.", 0, 5, "per kWh"),
    Field("electricity.currency", "currency", "USD", "Currency of the electricity price."),
    Field("electricity.system_overhead_w", "number", 60, "Extra power the rest of the computer "
          "draws while the GPU works.", 0, 1000, "W"),
    Field("jobs.allowed_local_images", "images", [], "Local Docker images (not pinned by "
          "digest) that jobs may use; RigPilot never pulls them."),
    Field("autostart", "bool", False, "Start RigPilot when you log in."),
    Field("ui.theme", "choice", "system", "Colour theme of the app.",
          choices=("system", "dark", "light")),
    Field("notifications.enabled", "bool", True, "Show desktop notifications for pauses, "
          "errors and earnings."),
)}
# fmt: on
DEFAULTS: dict[str, Any] = {key: f.default for key, f in FIELDS.items()}

Validator = Callable[["Settings"], Iterable[tuple[str, str, str]]]


class Settings(Mapping[str, Any]):
    """An immutable, complete, valid set of settings (every key of the schema present)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        merged = copy.deepcopy(DEFAULTS)
        merged.update(copy.deepcopy(dict(values or {})))
        self._values = merged

    def __getitem__(self, key: str) -> Any:
        return copy.deepcopy(self._values[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._values == other._values

    def __hash__(self) -> int:
        return hash(json.dumps(self._values, sort_keys=True))

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The value of ``key``; an unknown key raises KeyError unless a default is given,
        because ``None`` is a meaningful value here (null = derive from the card)."""
        if key in self._values:
            return self[key]
        if default is _MISSING:
            raise KeyError(key)
        return default

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(self._values)

    def diff(self, other: Settings) -> list[str]:
        """The keys whose values differ between two settings."""
        return [k for k in self._values if self._values[k] != other._values[k]]

    def replace(self, changes: Mapping[str, Any]) -> Settings:
        return Settings({**self._values, **changes})


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
                f"thermal.resume_limit_c ({_num(resume)} °C) must be "
                f"more than 5 °C below thermal.pause_limit_c ({_num(pause)} °C)",
                f"resume below {_num(pause - 5)} °C",
            )
        )
    if pause is not None and soft is not None and not soft < pause:
        field = pick("thermal.soft_limit_c", "thermal.pause_limit_c")
        errors.append(
            SettingsError(
                field,
                f"thermal.soft_limit_c ({_num(soft)} °C) must be below "
                f"thermal.pause_limit_c ({_num(pause)} °C)",
                f"soft limit below {_num(pause)} °C",
            )
        )
    overlap = _windows_overlap(s.get("schedule.windows"))
    if overlap:
        errors.append(SettingsError("schedule.windows", overlap, "windows that do not overlap"))
    return errors


def _windows_overlap(windows: list[dict[str, Any]]) -> str:
    """Describe the first overlap between schedule windows, or return ''."""
    week = 7 * 1440
    spans: list[tuple[int, int, int]] = []  # (start minute of week, end, window number)
    for n, w in enumerate(windows, 1):
        start, end = (int(w[k][:2]) * 60 + int(w[k][3:]) for k in ("start", "end"))
        length = (end - start) % 1440 or 1440
        for day in w["days"]:
            s = day * 1440 + start
            spans.append((s, min(s + length, week), n))
            if s + length > week:  # Sunday night runs into Monday morning
                spans.append((0, s + length - week, n))
    spans.sort()
    for (_s1, e1, n1), (s2, _e2, n2) in zip(spans, spans[1:], strict=False):
        if s2 < e1 and n1 != n2:
            day, minute = divmod(s2, 1440)
            return (
                f"schedule windows {min(n1, n2)} and {max(n1, n2)} overlap on "
                f"{DAY_NAMES[day]} at {minute // 60:02d}:{minute % 60:02d}"
            )
    return ""


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
            warnings.append(f"{exc.message}; using the default {_show(FIELDS[key].default)}")
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


def unknown_key_error(key: str) -> SettingsError:
    close = difflib.get_close_matches(key, FIELDS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return SettingsError(key, f"unknown setting {key!r}{hint}", ", ".join(FIELDS))


def parse_cli_value(key: str, text: str) -> Any:
    """Turn ``rigpilot settings set KEY VALUE`` text into a JSON value for ``patch``.

    Text that does not parse is returned as is, so that ``patch`` refuses it with the same
    message the GUI and the API give ("... must be a number from 55 to 100 °C (got 'hot')").
    """
    field = FIELDS.get(key)
    if field is None:
        raise unknown_key_error(key)
    raw = text.strip()
    low = raw.lower()
    if field.nullable and low in ("null", "none", "auto", "default"):
        return None
    if field.kind == "number":
        try:
            return int(raw) if re.fullmatch(r"[+-]?\d{1,18}", raw) else float(raw)
        except ValueError:
            return text
    if field.kind == "bool":
        return {
            "true": True,
            "yes": True,
            "on": True,
            "1": True,
            "false": False,
            "no": False,
            "off": False,
            "0": False,
        }.get(low, text)
    if field.kind in ("names", "images", "windows") or raw.startswith('"'):
        try:
            return json.loads(raw)
        except ValueError:
            if field.kind in ("names", "images"):  # a convenience: game1.exe,game2.exe
                return [part.strip() for part in raw.split(",") if part.strip()]
            return text
    return raw


def schema_json() -> dict[str, Any]:
    """The schema for the API and the GUI's forms: {key: {type, default, min, max, ...}}."""
    return {k: f.schema() for k, f in FIELDS.items()}
