"""Atomic file replacement: modes, .prev copies, and failures that leave the old file."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from desktop import atomic
from desktop.atomic import atomic_write, prev_path


def test_writes_new_content_and_keeps_prev(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    atomic_write(target, b"one")
    assert target.read_bytes() == b"one" and not prev_path(target).exists()
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two" and prev_path(target).read_bytes() == b"one"
    atomic_write(target, b"three", keep_prev=False)
    assert target.read_bytes() == b"three" and prev_path(target).read_bytes() == b"one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json", "settings.json.prev"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_mode_is_set_before_data_despite_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_write = os.write

    def spy(fd: int, data: object) -> int:
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)  # type: ignore[arg-type]

    old = os.umask(0o077)
    try:
        monkeypatch.setattr(atomic.os, "write", spy)
        atomic_write(tmp_path / "token", b"x" * 10, mode=0o640)
    finally:
        os.umask(old)
    assert seen == [0o640]  # the mode is in force at the first byte, umask or not
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o640


@pytest.mark.parametrize("where", ["fsync", "keep_prev", "replace"])
def test_failure_before_replace_leaves_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    target = tmp_path / "state.json"
    atomic_write(target, b"prev")
    atomic_write(target, b"old")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if where == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", boom)
    elif where == "keep_prev":
        monkeypatch.setattr(atomic, "_keep_prev", boom)
    else:
        real_replace = os.replace
        monkeypatch.setattr(
            atomic.os, "replace",
            lambda src, dst: boom() if Path(dst) == target else real_replace(src, dst),
        )  # fmt: skip
    with pytest.raises(OSError, match="No space"):
        atomic_write(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert prev_path(target).read_bytes() in (b"prev", b"old")  # never the new or a partial file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.prev"]


def test_prev_falls_back_to_a_copy_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object) -> None:
        raise OSError("hard links not supported")

    monkeypatch.setattr(atomic.os, "link", no_links)
    target = tmp_path / "f"
    atomic_write(target, b"a")
    atomic_write(target, b"b")
    assert target.read_bytes() == b"b" and prev_path(target).read_bytes() == b"a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "f.prev"]


def test_a_delete_waits_for_a_windows_reader_and_elsewhere_refusal_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows refuses to delete a file another process has open (a sharing violation, a
    PermissionError): the delete is tried again while that lasts; elsewhere a
    PermissionError is a real refusal and comes out at once."""
    target = tmp_path / "lease"
    target.write_text("x")
    real_unlink = Path.unlink
    refusals = [PermissionError(32, "sharing violation")] * 3

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == target and refusals:
            raise refusals.pop()
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(atomic.os, "name", "nt")
    atomic.unlink_when_free(target, pause_s=0)
    assert not target.exists() and not refusals
    atomic.unlink_when_free(target, pause_s=0)  # gone already: fine

    target.write_text("x")
    refusals.append(PermissionError(13, "denied"))
    monkeypatch.setattr(atomic.os, "name", "posix")
    with pytest.raises(PermissionError):
        atomic.unlink_when_free(target, pause_s=0)
    assert target.exists()
