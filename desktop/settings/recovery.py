"""Reading a settings file without trusting it, and keeping a bad one aside before it is replaced.

Why: a hand-edit typo must never cost the user what they wrote. Before, a file that did not
parse made the worker fall back (fine) but the next ``settings set`` then wrote over it, and
a deeply nested file raised RecursionError and stopped the worker at start. Here:

* ``examine`` reads one file and says whether it is GOOD (every value valid), USABLE (an
  object whose valid values can be used) or DAMAGED, and why, in words naming the place;
* ``keep_aside`` copies a file that is not good to ``<name>.damaged-YYYYMMDD-HHMMSS``
  (``-2``, ``-3``... when the name is taken; an identical earlier copy is reused), created
  with O_EXCL, so no copy is ever overwritten.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.atomic import fsync_dir

MAX_FILE_BYTES = 1024 * 1024  # a real settings file is a few KiB
DAMAGED_INFIX = ".damaged-"
EDITED_INFIX = ".edited-"


@dataclass
class Reading:
    """What one candidate file holds.

    Attributes:
        path: the file.
        data: its bytes (None when it could not be read).
        document: the decoded JSON (None when damaged).
        problems: why it is not good; empty when good. For a damaged file, one sentence.
        damaged: True when nothing in it can be used.
    """

    path: Path
    data: bytes | None = None
    document: Any = None
    problems: list[str] = field(default_factory=list)
    damaged: bool = False

    @property
    def good(self) -> bool:
        return not self.problems


def examine(path: Path) -> Reading | None:
    """Read ``path`` as JSON (None when it does not exist); never raises."""
    reading = Reading(path)
    try:
        with open(path, "rb") as handle:
            reading.data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _damaged(reading, f"cannot be read ({exc.strerror or exc})")
    if len(reading.data) > MAX_FILE_BYTES:
        return _damaged(reading, f"is larger than {MAX_FILE_BYTES // 1024} KiB")
    if not reading.data.strip():
        return _damaged(reading, "is empty")
    try:
        text = reading.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _damaged(reading, f"is not UTF-8 text (byte {exc.start})")
    duplicates: list[str] = []
    try:
        reading.document = json.loads(text, object_pairs_hook=_noting(duplicates))
    except RecursionError:
        return _damaged(reading, "nests objects or lists too deeply to be settings")
    except json.JSONDecodeError as exc:
        return _damaged(
            reading, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        )
    reading.problems += [
        f"the key {key!r} appears twice; the last value was used" for key in duplicates
    ]
    return reading


def _damaged(reading: Reading, why: str) -> Reading:
    reading.problems, reading.damaged, reading.document = [why], True, None
    return reading


def _noting(duplicates: list[str]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                duplicates.append(key)
            result[key] = value
        return result

    return hook


def keep_aside(path: Path, data: bytes, now: float, infix: str = DAMAGED_INFIX) -> Path:
    """A copy of ``data`` next to ``path`` under a dated name no other file has.

    Raises:
        OSError: the copy could not be written (full or read-only disk).
    """
    for existing in sorted(path.parent.glob(f"{path.name}{infix}*")):
        try:
            if existing.read_bytes() == data:
                return existing
        except OSError:
            continue
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for n in itertools.count(1):
        target = path.with_name(f"{path.name}{infix}{stamp}" + (f"-{n}" if n > 1 else ""))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(target, flags, 0o600)
        except FileExistsError:
            continue
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            target.unlink(missing_ok=True)
            raise
        os.close(fd)
        fsync_dir(path.parent)
        return target
    raise AssertionError("unreachable")  # itertools.count never ends


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime_ns) of ``path``, to notice a hand-edit made while the worker ran."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)
