"""Versions, safe raw text and the "could not read" result."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.checks.base import (
    RAW_LIMIT,
    ParseError,
    V,
    clean,
    could_not_read,
    meets,
    parse_version,
    raw_excerpt,
)
from desktop.model import CheckStatus


@pytest.mark.parametrize(
    ("text", "numbers", "final"),
    [
        ("1.17.8", (1, 17, 8), True),
        ("v1.1.12", (1, 1, 12), True),
        ("runc version 1.1.5+ds1", (1, 1, 5), True),
        ("1.18.0-rc.2", (1, 18, 0), False),
        ("20.10.24+dfsg1", (20, 10, 24), True),
        ("12.4", (12, 4), True),
        ("1.1.7-0ubuntu1~22.04.2", (1, 1, 7), True),
    ],
)
def test_parse_version_reads_numbers_and_prerelease(
    text: str, numbers: tuple[int, ...], final: bool
) -> None:
    version = parse_version(text)
    assert version.numbers == numbers
    assert version.final is final


def test_go_version_is_not_taken_for_the_program_version() -> None:
    assert parse_version("go: go1.20.13\nrunc 1.1.12").numbers == (1, 1, 12)


@pytest.mark.parametrize(
    ("have", "need", "ok"),
    [
        ("1.17.8", "1.17.8", True),
        ("1.17.10", "1.17.8", True),
        ("1.17.7", "1.17.8", False),
        ("1.17.8-rc.1", "1.17.8", False),
        ("1.18.0-rc.2", "1.17.8", True),
        ("1.2", "1.1.12", True),
        ("11.8", "11.8", True),
        ("11.7", "11.8", False),
        ("1.1.5+ds1", "1.1.12", False),
    ],
)
def test_version_comparison(have: str, need: str, ok: bool) -> None:
    assert parse_version(have).at_least(V(need)) is ok


@pytest.mark.parametrize("text", ["", "latest", "version: unknown", "\x1b[31m"])
def test_parse_version_refuses_text_without_a_version(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_version(text)
    assert caught.value.raw == text


def test_clean_removes_terminal_escapes_and_bidi_controls() -> None:
    assert clean("27.0\x1b[2J\x1b]0;pwned\x07 ok\u202e\x1b[31m") == "27.0 ok"


def test_clean_cuts_long_text() -> None:
    assert clean("x" * 500, 50) == "x" * 49 + "…"


def test_raw_excerpt_keeps_lines_but_caps_size() -> None:
    text = raw_excerpt("line one\nline two\x1b[0m\n" + "A" * 5000)
    assert text.startswith("line one\nline two\n")
    assert "\x1b" not in text
    assert text.endswith("[… truncated]")
    assert len(text) <= RAW_LIMIT + 20


def test_raw_excerpt_decodes_bytes_with_replacement() -> None:
    assert raw_excerpt(b"ok \xff\xfe") == "ok \ufffd\ufffd"


def test_could_not_read_is_a_warning_with_the_raw_text() -> None:
    result = could_not_read(
        "toolkit.version", "Toolkit", "the toolkit version", "garbage\x1b[2J", "boom"
    )
    assert result.status is CheckStatus.WARN
    assert result.summary == "could not read the toolkit version"
    assert result.details == {"raw": "garbage", "error": "boom"}


def test_meets_allows_the_shortfall_of_marketed_sizes() -> None:
    assert meets(24564, 24 * 1024)  # an RTX 4090's reported VRAM
    assert not meets(6144, 8 * 1024)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_version_only_ever_raises_parse_error(text: str) -> None:
    try:
        version = parse_version(text)
    except ParseError:
        return
    assert version.numbers
