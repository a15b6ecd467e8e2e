"""Text typed after ``rigpilot settings set KEY`` turned into the JSON value ``patch`` takes.

Why apart from the store: only the CLI types settings as text; the GUI and the API send JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from desktop.settings.schema import FIELDS, unknown_key_error


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
        # ASCII only ("٣" is not 3 here), and finite: NaN, inf and 1e999 go to ``patch`` as
        # the text typed, which refuses them with the field's range.
        if re.fullmatch(r"[+-]?[0-9]{1,18}", raw):
            return int(raw)
        if re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?", raw):
            number = float(raw)
            return number if math.isfinite(number) else text
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
        try:  # finite JSON only: NaN or 1e999 would not even survive the trip to the worker
            return json.loads(raw, parse_constant=_refuse, parse_float=_finite_float)
        except (ValueError, RecursionError):
            if field.kind in ("names", "images") and not raw.startswith("["):
                # a convenience: game1.exe,game2.exe
                return [part.strip() for part in raw.split(",") if part.strip()]
            return text
    return raw


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large")
    return value
