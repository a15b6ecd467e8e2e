"""Plain-text tables for the CLI: aligned columns that fit the terminal.

Why one helper: a table whose columns run together (``2026-11-22 01:02:19rigpilot-test/…``)
or wrap across lines is unreadable, and every command printing rows had its own way of
padding them. Here every column is separated by two spaces, numbers are right-aligned, and
when the rows are wider than the terminal the columns marked ``shrink`` give up width
first, their long cells (image references, messages) cut with "…". ``--json`` is the
format for scripts; this one is for people.

The leading underscore keeps the CLI loader from treating this as a command module.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Collection, Sequence

GAP = "  "
ELLIPSIS = "…"
NBSP = "\u00a0"  # textwrap never breaks a line there
MIN_SHRUNK = 12  # a shrunk column keeps at least this many characters
FALLBACK_WIDTH = 120  # output to a pipe or a file: no terminal to measure


def terminal_width() -> int:
    """The terminal's width (COLUMNS wins, as for every Unix tool), or FALLBACK_WIDTH."""
    return shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns


def wrap(text: str, width: int | None = None, indent: str = "", hang: str = "    ") -> str:
    """A paragraph wrapped to the terminal (at most 100 columns: long lines tire the eye)."""
    width = min(100, terminal_width() if width is None else width)
    # a `command` stays on one line, where it can be copied whole
    glued = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", NBSP), text)
    return textwrap.fill(
        glued,
        width=max(40, width),
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_on_hyphens=False,
        break_long_words=False,
    ).replace(NBSP, " ")


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, ending in "…" when it had to be cut."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + ELLIPSIS if width > 0 else ""


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    shrink: Sequence[int] = (),
    right: Collection[int] = (),
    max_widths: dict[int, int] | None = None,
) -> str:
    """Render ``rows`` under ``headers`` in at most ``width`` columns (the terminal's).

    ``shrink``: indices of the columns that may be cut to fit, the first given up first;
    ``right``: indices of right-aligned (numeric) columns; ``max_widths``: caps applied
    whatever the room (an image digest is never worth 100 characters).
    """
    width = terminal_width() if width is None else width
    count = len(headers)
    cells = [[str(c) for c in row] + [""] * (count - len(row)) for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for index, cap in (max_widths or {}).items():
        widths[index] = min(widths[index], max(cap, len(headers[index])))
    excess = sum(widths) + len(GAP) * (count - 1) - width
    for index in shrink:
        if excess <= 0:
            break
        floor = max(len(headers[index]), MIN_SHRUNK)
        give = min(excess, max(0, widths[index] - floor))
        widths[index] -= give
        excess -= give

    def line(row: Sequence[str]) -> str:
        parts = []
        for i, cell in enumerate(row):
            text = cut(cell, widths[i])
            parts.append(text.rjust(widths[i]) if i in right else text.ljust(widths[i]))
        return GAP.join(parts).rstrip()

    return "\n".join([line(list(headers)), *(line(r) for r in cells)])
