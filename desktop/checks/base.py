"""Shared pieces of the setup checks: versions, safe raw text, and result shorthands.

Every probe's output (a JSON document from the Docker engine, a ``--version`` line) is
untrusted text: it can be garbled, huge, or carry terminal escape codes from a hostile
engine at a ``tcp://`` address. ``raw_excerpt`` and ``clean`` make such text safe to print
and to store in a CheckResult's details; ``ParseError`` carries the raw text so that a check
can say "could not read X" and show what it saw, instead of crashing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from desktop.model import CheckResult, CheckStatus

RAW_LIMIT = 2048  # raw text kept in details when an output cannot be read
GIB = 1024**3
MIB_PER_GIB = 1024

# Sizes are sold in round GB but reported a little lower (a "24 GB" RTX 4090 reports
# 24 564 MiB, a "16 GB" PC shows 15.5 GiB): a threshold counts as met within 5 %.
SIZE_TOLERANCE = 0.95

# Whole escape sequences first (CSI "ESC[…m", OSC "ESC]…BEL"), so no "[2J" debris is left,
# then any remaining control or bidirectional-override character.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class ParseError(ValueError):
    """An output could not be read. ``raw`` is the text as received (for the details)."""

    def __init__(self, message: str, raw: str | bytes = "") -> None:
        super().__init__(message)
        self.raw = raw


def clean(text: object, limit: int = 200) -> str:
    """One safe line: control and bidi characters removed, cut to ``limit`` characters."""
    value = str(text).replace("\n", " ").replace("\t", " ")
    value = _CONTROL.sub("", _ESCAPES.sub("", value)).strip()
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def raw_excerpt(raw: str | bytes, limit: int = RAW_LIMIT) -> str:
    """The first ``limit`` characters of a raw output, decoded and stripped of control codes.

    Newlines and tabs are kept (they are how ``--version`` output reads); everything else
    that could move a terminal's cursor or recolour it is dropped.
    """
    text = raw[: limit * 4].decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    truncated = len(text) > limit
    text = _CONTROL.sub("", _ESCAPES.sub("", text[:limit]))
    return text + ("\n[… truncated]" if truncated else "")


@dataclass(frozen=True)
class Version:
    """A dotted version that compares numerically; a pre-release sorts below its release.

    ``1.17.8-rc.1 < 1.17.8 < 1.17.10``. Distribution suffixes such as ``+ds1`` or
    ``-0ubuntu1`` are not pre-releases and do not lower the version.
    """

    numbers: tuple[int, ...]
    final: bool = True
    raw: str = ""

    def __str__(self) -> str:
        return self.raw or ".".join(str(n) for n in self.numbers)

    def at_least(self, other: Version) -> bool:
        return self._key() >= other._key()

    def _key(self) -> tuple[tuple[int, ...], bool]:
        numbers = self.numbers + (0,) * max(0, 3 - len(self.numbers))
        return numbers, self.final


_VERSION = re.compile(r"(?<![\w.])v?(\d{1,6}(?:\.\d{1,6}){1,3})([-~+][0-9A-Za-z.~+-]*)?")
_PRERELEASE = re.compile(r"^[-~](?:rc|alpha|beta|pre|dev)(?![a-z])", re.IGNORECASE)


def parse_version(text: str) -> Version:
    """The first dotted version in ``text`` (``v1.1.12``, ``12.4``, ``1.17.8-rc.1``).

    Raises ParseError when there is none.
    """
    match = _VERSION.search(text or "")
    if match is None:
        raise ParseError(f"no version number in {clean(text, 80)!r}", text)
    numbers = tuple(int(part) for part in match.group(1).split("."))
    suffix = match.group(2) or ""
    return Version(numbers, final=not _PRERELEASE.match(suffix), raw=match.group(0).lstrip("v"))


def V(text: str) -> Version:  # noqa: N802 - reads like a literal: V("1.17.8")
    """A version literal for thresholds in code."""
    return parse_version(text)


def could_not_read(
    check_id: str, title: str, what: str, raw: str | bytes, error: object = ""
) -> CheckResult:
    """The uniform "warn: could not read X" result, with the raw text kept for a bug report."""
    details: dict[str, Any] = {"raw": raw_excerpt(raw)}
    if error:
        details["error"] = clean(error, 500)
    return CheckResult(
        id=check_id,
        title=title,
        status=CheckStatus.WARN,
        summary=f"could not read {what}",
        fix="Run `rigpilot doctor --json` and include its output when you report this.",
        details=details,
    )


def skipped(check_id: str, title: str, reason: str) -> CheckResult:
    return CheckResult(check_id, title, CheckStatus.SKIP, reason)


def format_gib(num_bytes: float) -> str:
    """Bytes as ``23.5 GB`` (binary GB, which is what tools and shops call GB)."""
    return f"{num_bytes / GIB:.1f} GB"


def meets(value: float, threshold: float) -> bool:
    """True when ``value`` reaches ``threshold`` within the size tolerance."""
    return value >= threshold * SIZE_TOLERANCE
