"""One setting's declaration and the rules its value must follow, whatever its kind.

Why: a typo in a thermal limit must never become a silently wrong limit, so every value that
comes in (file, GUI, API, CLI) passes ``Field.check``, which returns the canonical form or a
SettingsError whose message names the field and the allowed range.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop.settings.addresses import check_text
from desktop.settings.errors import SettingsError, num, show_value

# Matched whole (fullmatch) and in ASCII: "08:30\n" and "٠٨:٣٠" are not times.
_TIME = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])")
# A Docker image reference as typed: [host[:port]/]name[:tag][@sha256:digest].
_IMAGE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RATE = re.compile(r"([A-Za-z][A-Za-z0-9]{0,9})\s*=\s*([0-9]+(\.[0-9]+)?)")


def parse_rates(text: str) -> dict[str, Decimal]:
    """"NOS=0.45, USD=0.92" → {"NOS": Decimal("0.45"), ...}; ValueError naming the bad part."""
    rates: dict[str, Decimal] = {}
    for part in (p.strip() for p in re.split(r"[,;]", text)):
        if not part:
            continue
        match = _RATE.fullmatch(part)
        if match is None:
            raise ValueError(f"{part!r} is not UNIT=NUMBER")
        rate = Decimal(match.group(2))
        if rate <= 0:
            raise ValueError(f"the rate of {match.group(1).upper()} must be above 0")
        rates[match.group(1).upper()] = rate
    if len(rates) > 50:
        raise ValueError(f"got {len(rates)} units")
    return rates


@dataclass(frozen=True)
class Field:
    """One setting: its type, default, bounds and the help sentence shown next to it."""

    key: str
    kind: str  # number | bool | choice | currency | names | images | windows | address | url
    # | rates | date
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
            "number": f"a number from {num(self.minimum or 0)} to {num(self.maximum or 0)}{unit}",
            "bool": "true or false",
            "choice": "one of " + ", ".join(self.choices),
            "currency": "a 3-letter currency code such as USD or EUR",
            "names": "a list of up to 200 program names, each 1 to 100 characters",
            "images": "a list of up to 100 local Docker image names such as busybox:1.36",
            "windows": 'a list of {"days": [0-6, Monday = 0], "start": "HH:MM", "end": "HH:MM"}',
            "address": "HOST:PORT such as 127.0.0.1:9835 (a port from 1 to 65535)",
            "url": "an http:// or https:// address such as https://ntfy.sh",
            "rates": 'rates in your currency such as "NOS=0.45, USD=0.92" (up to 50 units)',
            "date": "a date YYYY-MM-DD",
        }[self.kind]
        return f"{text}, or null {self.null_means}".rstrip() if self.nullable else text

    def error(self, value: Any, detail: str = "") -> SettingsError:
        got = f" ({detail})" if detail else f" (got {show_value(value)})"
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
        if self.kind in ("address", "url"):
            if self.nullable and isinstance(value, str) and not value.strip():
                return None  # a form's empty box: "not given"
            problem = check_text(self.kind, value)
            if problem:
                raise self.error(value, problem)
            return value.strip()
        if self.kind in ("rates", "date"):
            return self._check_text(value)
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
                raise self.error(value, f"item {i} is {show_value(name)}, not text")
            name = name.strip()
            if not 1 <= len(name) <= 100 or any(ord(c) < 32 for c in name):
                raise self.error(value, f"item {i} is {show_value(name)}")
            if name not in names:
                names.append(name)
        return names

    def _check_images(self, value: Any) -> list[str]:
        images: list[str] = []
        for i, image in enumerate(self._as_list(value, 100), 1):
            if not isinstance(image, str):
                raise self.error(value, f"item {i} is {show_value(image)}, not text")
            image = image.strip()
            if not _IMAGE_REF.fullmatch(image):
                raise self.error(value, f"item {i} is {show_value(image)}, not an image name")
            if image not in images:
                images.append(image)
        return images

    def _check_text(self, value: Any) -> str | None:
        """Rates or a date, as text (canonical form: trimmed, rates sorted)."""
        if not isinstance(value, str) or len(value) > 2000:
            raise self.error(value)
        text = value.strip()
        if not text and self.nullable:  # a form's empty box: "not given"
            return None
        if self.kind == "date":
            try:
                if not _DATE.fullmatch(text):
                    raise ValueError(text)
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                raise self.error(value) from None
        try:
            rates = parse_rates(text)
        except ValueError as exc:
            raise self.error(value, str(exc)) from None
        return ", ".join(f"{unit}={rate}" for unit, rate in sorted(rates.items()))

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
            raise bad(
                f"days must be a non-empty list of 0 to 6, Monday = 0 (got {show_value(days)})"
            )
        for part in ("start", "end"):
            text = window[part]
            if (
                not isinstance(text, str)
                or not _TIME.fullmatch(text)
                or (text > "24:00" or (part == "start" and text == "24:00"))
            ):
                raise bad(f"{part} must be a time HH:MM such as 08:30 (got {show_value(text)})")
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
            "address": "string",
            "rates": "string",
            "date": "string",
            "url": "string",
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
