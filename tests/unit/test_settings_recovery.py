"""Settings files that are damaged or hand-edited wrongly: the newest good copy wins, the bad
file is kept aside under a dated name (never overwritten), and the warnings say which file,
why, and where the copy is. A fixed clock names the copies (no test reads today's date).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from desktop import atomic
from desktop.settings import Settings, SettingsStore
from desktop.settings.recovery import keep_aside

CLOCK = 1_767_225_600.0  # a fixed instant; the stamp is in local time, so only its shape is fixed
STAMP = r"\d{8}-\d{6}"


def store_at(path: Path) -> SettingsStore:
    return SettingsStore(path, clock=lambda: CLOCK)


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return store_at(tmp_path / "settings.json")


def copies(store: SettingsStore) -> list[Path]:
    return sorted(store.path.parent.glob("settings.json.damaged-*"))


def two_saves(store: SettingsStore) -> tuple[Settings, Settings]:
    """An older and a newer good file: ``.prev`` holds the first, the main file the second."""
    old = store.patch({"thermal.pause_limit_c": 83, "gaming.games": ["a.exe"]})
    new = store.patch({"thermal.pause_limit_c": 86, "ui.theme": "dark"})
    return old, new


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests objects or lists too deeply"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nests objects or lists too deeply"),
        (b"", "is empty"),
        (b"\xff\xfe\x00garbage", "is not UTF-8"),
        (b'{"version": 1, "settings": {"ui.theme": "dark",}}', "is not valid JSON (line 1"),
        (b"[1, 2, 3]", "is not settings"),
        (b"x" * (1024 * 1024 + 1), "is larger than 1024 KiB"),
    ],
    ids=["deep-lists", "deep-objects", "empty", "binary", "trailing-comma", "a-list", "huge"],
)
def test_a_damaged_file_yields_to_the_good_copy_and_is_kept_aside(
    store: SettingsStore, content: bytes, why: str
) -> None:
    old, _ = two_saves(store)
    store.path.write_bytes(content)
    fresh = store_at(store.path)
    assert fresh.load() == old  # the worker starts, with the newest good copy
    [kept] = copies(store)
    assert kept.read_bytes() == content and kept == fresh.kept_aside
    first = fresh.warnings[0]
    assert str(store.path) in first and why in first and kept.name in first
    assert "uses settings.json.prev" in first


def test_a_value_typo_keeps_the_users_file_and_the_good_copy_wins(store: SettingsStore) -> None:
    old, _ = two_saves(store)
    values = {"thermal.pause_limit_c": "85C", "autostart": True}
    typo = json.dumps({"version": 1, "settings": values})
    store.path.write_text(typo)
    fresh = store_at(store.path)
    assert fresh.load() == old
    assert "thermal.pause_limit_c must be" in fresh.warnings[0]
    fresh.patch({"ui.theme": "light"})  # the next change does not lose what the user wrote
    [kept] = copies(store)
    assert kept.read_text() == typo
    assert json.loads(atomic.prev_path(store.path).read_text())["settings"]["gaming.games"] == [
        "a.exe"
    ]  # .prev is still the good copy, not the typo
    assert store_at(store.path).load().get("ui.theme") == "light"


def test_without_a_good_copy_the_valid_values_of_the_newest_are_used(store: SettingsStore) -> None:
    store.path.write_text(json.dumps({"ui.theme": "dark", "sampling.interval_s": 99}))
    assert store.load().get("ui.theme") == "dark"
    assert any("sampling.interval_s must be" in w for w in store.warnings)
    assert "its valid settings" in store.warnings[0] and len(copies(store)) == 1


def test_a_typod_key_counts_as_a_problem_but_a_newer_version_s_keys_do_not(
    store: SettingsStore,
) -> None:
    store.path.write_text(json.dumps({"version": 1, "settings": {"ui.them": "dark"}}))
    store.load()
    assert "unknown setting 'ui.them'" in store.warnings[0] and copies(store)
    newer = store.path.with_name("newer.json")
    newer.write_text(json.dumps({"version": 2, "settings": {"ui.theme": "dark", "new.key": 1}}))
    other = store_at(newer)
    assert other.load().get("ui.theme") == "dark"
    assert other.kept_aside is None and all("kept as" not in w for w in other.warnings)


def test_duplicate_keys_in_the_file_are_reported(store: SettingsStore) -> None:
    store.path.write_text('{"ui.theme": "dark", "ui.theme": "light"}')
    store.load()
    assert "'ui.theme' appears twice" in store.warnings[0]


def test_copies_are_never_overwritten_and_not_repeated(store: SettingsStore) -> None:
    two_saves(store)
    for content in (b"{", b"{", b"{{"):
        store.path.write_bytes(content)
        store_at(store.path).load()
    first, second = copies(store)  # the same damage twice is one copy; new damage a new one
    assert (first.read_bytes(), second.read_bytes()) == (b"{", b"{{")
    assert second.name == first.name + "-2"  # same second: a new name, not the old one
    assert len({p.name for p in copies(store)}) == 2


def test_the_copy_name_is_dated(tmp_path: Path) -> None:
    kept = keep_aside(tmp_path / "settings.json", b"{", CLOCK)
    assert re.fullmatch(rf"settings\.json\.damaged-{STAMP}", kept.name)


def test_truncated_at_every_byte_starts_with_the_newest_good_copy(store: SettingsStore) -> None:
    old = store.patch({"thermal.pause_limit_c": 83, "gaming.games": ["a.exe", "b.exe"]})
    new = store.patch({"thermal.pause_limit_c": 86, "schedule.windows": [
        {"days": [0, 1, 2], "start": "22:00", "end": "07:00"}]})  # fmt: skip
    data = store.path.read_bytes()
    for cut in range(len(data) + 1):
        store.path.write_bytes(data[:cut])
        fresh = store_at(store.path)
        whole = cut >= len(data.rstrip())
        assert fresh.load() == (new if whole else old), cut
        if not whole:
            assert fresh.kept_aside is not None and fresh.kept_aside.read_bytes() == data[:cut]
            assert str(store.path) in fresh.warnings[0]
            fresh.kept_aside.unlink()
        else:
            assert fresh.warnings == [] and not copies(store)


def test_a_file_edited_while_the_worker_ran_is_kept_before_a_change(store: SettingsStore) -> None:
    store.patch({"ui.theme": "dark"})
    edited = json.dumps({"version": 1, "settings": {"ui.theme": "light", "autostart": True}})
    store.path.write_text(edited + "\n  ")  # another size: the edit is noticed
    store.patch({"notifications.enabled": False})
    [kept] = store.path.parent.glob("settings.json.edited-*")
    assert kept.read_text().strip() == edited


def test_windows_times_are_ascii_and_whole(store: SettingsStore) -> None:
    for start in ("08:30\n", "٠٨:٣٠", "8:30"):
        window = {"days": [0], "start": start, "end": "09:00"}
        with pytest.raises(ValueError, match="start must be a time"):
            store.patch({"schedule.windows": [window]})


FULL_OR_READ_ONLY = """
from desktop.settings import SettingsSaveError, SettingsStore
path = DISK / "settings.json"
SettingsStore(path).patch({"ui.theme": "dark"})
SettingsStore(path).patch({"autostart": True})  # .prev now holds the dark theme
path.write_text("{ hand-edited typo")
mode = sys.argv[2] if len(sys.argv) > 2 else "%s"
filler = fill(DISK) if mode == "full" else remount(DISK, "ro")
store = SettingsStore(path)
loaded = store.load().get("ui.theme")
try:
    store.patch({"ui.theme": "light"})
    refused = ""
except SettingsSaveError as exc:
    refused = str(exc)
untouched = path.read_text() == "{ hand-edited typo"
if mode == "full":
    filler.unlink()
else:
    remount(DISK, "rw")
after = store.patch({"ui.theme": "light"}).get("ui.theme")
copies = [p.name for p in DISK.glob("settings.json.damaged-*")]
print(json.dumps({"loaded": loaded, "warning": store.warnings[0], "refused": refused,
                  "untouched": untouched, "after": after, "copies": copies,
                  "copy": (DISK / copies[0]).read_text() if copies else None}))
"""


@pytest.mark.parametrize(("mode", "error"), [("full", "No space left"), ("ro", "Read-only")])
def test_on_a_full_or_read_only_disk_the_users_file_is_not_replaced(
    tmp_path: Path, mode: str, error: str
) -> None:
    from tests.small_disk import run_on_small_disk

    result = run_on_small_disk(FULL_OR_READ_ONLY % mode, tmp_path)
    assert result["loaded"] == "dark"  # the good .prev, even though no copy could be made
    assert "could not keep a copy" in result["warning"] and error in result["warning"]
    assert "will not save settings over it" in result["warning"]
    assert error in result["refused"] and result["untouched"]
    assert result["after"] == "light"  # space or write access back: the change goes through
    assert result["copy"] == "{ hand-edited typo"  # ...after the user's file was kept aside
