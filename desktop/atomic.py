"""Crash-safe replacement of small files (settings, tokens metadata, job state).

A plain ``open(path, "w").write(...)`` leaves a truncated or empty file when the process is
killed or the machine loses power mid-write, and the next start then has no settings at
all. The recipe here is the one PostgreSQL's ``durable_rename()`` and Electrum's wallet
storage use (see reliability.md §5 and §8.3):

1. write the new bytes to a temp file in the SAME folder (``os.replace`` is only atomic
   within one filesystem), with its mode set to 0600 BEFORE any data lands in it, so a
   secret-ish file is never briefly world-readable;
2. ``fsync`` the temp file, so its data is on disk before its name is;
3. keep the old file as ``<name>.prev`` (BOINC style): a second line of defence if the new
   file is later damaged by something we do not control (a disk error, a user's editor);
4. ``os.replace`` the temp file over the target: readers see the old or the new file, never
   a mix;
5. ``fsync`` the folder (POSIX), so the rename itself survives a power cut. BOINC and
   Electrum both skip this step.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

PREV_SUFFIX = ".prev"
T = TypeVar("T")


def prev_path(path: Path) -> Path:
    """Where the previous version of ``path`` is kept."""
    return path.with_name(path.name + PREV_SUFFIX)


def atomic_write(
    path: Path | str, data: bytes, mode: int = 0o600, *, keep_prev: bool = True
) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file.

    Args:
        path: the file to (re)write; its folder must exist.
        data: the complete new content.
        mode: permission bits of the new file (and of the ``.prev`` copy's new name).
        keep_prev: keep the current file as ``<name>.prev`` before replacing it. Callers
            pass False when the current file is known to be damaged, so that a good
            ``.prev`` is not overwritten by a bad one.

    Raises:
        OSError: the write failed; the old file is untouched and no temp file is left.
    """
    target = Path(path)
    tmp = _write_temp(target, data, mode)
    try:
        if keep_prev and target.exists():
            _keep_prev(target)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def _write_temp(target: Path, data: bytes, mode: int) -> Path:
    """Write ``data`` to a fresh, fsynced temp file next to ``target`` and return its path."""
    tmp = target.with_name(f".{target.name}.tmp.{os.getpid()}.{secrets.token_hex(4)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, mode)
    try:
        if sys.platform != "win32":
            os.fchmod(fd, mode)  # the umask may have masked bits off; set them before the data
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _keep_prev(target: Path) -> None:
    """Make ``<target>.prev`` a durable copy of the current ``target``.

    A hard link is instant and shares the old file's data, which ``os.replace`` of the new
    file leaves alone. Filesystems without hard links get a full copy. Either way the new
    ``.prev`` name appears atomically, so a crash here leaves the old ``.prev`` or the new.
    """
    prev = prev_path(target)
    link = target.with_name(f".{prev.name}.tmp.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        os.link(target, link)
    except OSError:
        old = target.read_bytes()
        link = _write_temp(prev, old, 0o600)
    try:
        os.replace(link, prev)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(link)
        raise


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (renames, new names) to disk; a no-op where unsupported."""
    if sys.platform == "win32":
        return  # NTFS journals metadata; Windows cannot open a folder for fsync
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (network mounts) refuse fsync on folders; nothing better to do
    finally:
        os.close(fd)


def _refused_by_a_holder(exc: Exception) -> bool:
    return isinstance(exc, PermissionError)


def when_free(
    action: Callable[[], T],
    refused: Callable[[Exception], bool] = _refused_by_a_holder,
    tries: int = 50,
    pause_s: float = 0.02,
) -> T:
    """``action()``, tried again for about a second on Windows while ``refused`` says
    another thread or process holds the file: Windows refuses to delete a file that is
    open, or to open a file while another of its names is being deleted (permission
    denied, a sharing violation). Elsewhere, and after that, the error stands."""
    for attempt in range(tries):
        try:
            return action()
        except Exception as exc:
            if os.name != "nt" or not refused(exc) or attempt == tries - 1:
                raise
            time.sleep(pause_s)
    raise ValueError("tries must be at least 1")


def unlink_when_free(path: Path, tries: int = 50, pause_s: float = 0.02) -> None:
    """Delete ``path`` (gone already is fine), waiting on Windows while a reader of the
    same file (a lease, a token) holds it open (``when_free``)."""
    when_free(lambda: path.unlink(missing_ok=True), tries=tries, pause_s=pause_s)
