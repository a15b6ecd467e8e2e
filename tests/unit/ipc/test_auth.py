"""The API token file and the per-request checks (token, Host)."""

from __future__ import annotations

import re
import stat
import sys
import threading
from pathlib import Path

import pytest

from desktop.ipc.auth import (
    TokenError,
    host_allowed,
    load_or_create_token,
    read_token,
    token_matches,
)


def assert_user_only(path: Path) -> None:
    """0600 on POSIX; on Windows an ACL granting only this user (and SYSTEM, which Wine adds
    when it shows a file's Unix mode as an ACL) and nobody else (no Users, no Everyone)."""
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        return
    from desktop.ipc.win_acl import current_user_sid, dacl_sddl

    me = current_user_sid()
    aces = [ace.split(";") for ace in re.findall(r"\(([^)]*)\)", dacl_sddl(path))]
    granted = {ace[-1]: ace[2] for ace in aces if ace[0] == "A"}
    assert granted.get(me) == "FA" and set(granted) <= {me, "SY"}, dacl_sddl(path)


def test_token_is_256_bits_hex_in_a_user_only_file(tmp_path: Path) -> None:
    path = tmp_path / "config" / "api-token"
    token = load_or_create_token(path)
    assert len(token) == 64 and int(token, 16) >= 0
    assert_user_only(path)
    assert read_token(path) == token


def test_token_is_made_once_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "api-token"
    first = load_or_create_token(path)
    assert load_or_create_token(path) == first
    assert [p.name for p in tmp_path.iterdir()] == ["api-token"]  # no temp file left


def test_racing_creators_agree_on_one_token(tmp_path: Path) -> None:
    path = tmp_path / "api-token"
    results: list[str] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(load_or_create_token(path))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert read_token(path) == results[0]


def test_a_damaged_token_file_is_reported_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "api-token"
    path.write_text("not-a-token\n")
    with pytest.raises(TokenError, match="delete the file"):
        read_token(path)


def test_missing_token_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_token(tmp_path / "absent")


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("Bearer " + "ab" * 32, True),
        ("bearer " + "ab" * 32, True),
        ("Bearer " + "ab" * 31 + "ac", False),
        ("Bearer " + "ab" * 32 + "00", False),
        ("Basic " + "ab" * 32, False),
        ("Bearer", False),
        ("", False),
        (None, False),
        ("Bearer " + "é" * 64, False),
    ],
)
def test_bearer_token_check(header: str | None, ok: bool) -> None:
    assert token_matches(header, "ab" * 32) is ok


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("localhost:8080", True),
        ("127.0.0.1", True),
        ("127.0.0.1:49152", True),
        ("[::1]", True),
        ("[::1]:80", True),
        ("evil.example", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("localhost:80@evil", False),
        ("", False),
        (None, False),
    ],
)
def test_host_header_check(host: str | None, ok: bool) -> None:
    assert host_allowed(host) is ok
