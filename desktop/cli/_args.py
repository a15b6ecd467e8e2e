"""Argument types for the CLI that refuse what ``int()`` and ``float()`` quietly take.

Why: ``int("٣")`` is 3, ``float("nan")`` and ``float("inf")`` are numbers to Python, and
``"²".isdigit()`` is true while ``int("²")`` fails, so options typed as ``int``/``float``
took other scripts' digits, let NaN through to JSON encoding (a traceback), or failed with
argparse's "invalid _positive value". And an id with a newline reached httpx, which refused
to build the URL (another traceback). Here every number must be ASCII and finite, every id
must match its pattern whole, and each refusal says what was expected.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

from desktop.jobs.validate import JOB_ID_RE, NETWORK_RE

_INT = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")


def ascii_int(text: str) -> int | None:
    """``text`` as an int if it is plain ASCII digits (an optional sign), else None."""
    return int(text) if _INT.fullmatch(text.strip()) else None


def ascii_float(text: str) -> float | None:
    """``text`` as a finite float written in ASCII, else None (no NaN, inf or 1e999)."""
    if not _FLOAT.fullmatch(text.strip()):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def whole_number(low: int, high: int, what: str = "a whole number") -> Callable[[str], int]:
    def convert(text: str) -> int:
        value = ascii_int(text)
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what} from {low} to {high}, got {text!r}")
        return value

    return convert


def number(
    low: float, high: float, what: str = "a number", *, above_low: bool = False
) -> Callable[[str], float]:
    """A finite ASCII number in [low, high] (or (low, high] with ``above_low``)."""

    def convert(text: str) -> float:
        value = ascii_float(text)
        if value is None or not (low < value if above_low else low <= value) or value > high:
            side = "above" if above_low else "from"
            raise argparse.ArgumentTypeError(
                f"expected {what} {side} {low:g} to {high:g}, got {text!r}"
            )
        return value

    return convert


def job_id(text: str) -> str:
    if not JOB_ID_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a job id (1-64 letters, digits, '.', '_' or '-'); "
            "`rigpilot job list` shows them"
        )
    return text


def network_id(text: str) -> str:
    name = text.strip().lower()
    if not NETWORK_RE.fullmatch(name):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a network id (lower-case letters, digits, '_' or '-', such as "
            "demo or nosana); `rigpilot networks` lists them"
        )
    return name
