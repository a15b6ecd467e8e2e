"""Hostile arguments get a clean usage error naming the argument, never a traceback.

NaN and Infinity, digits of other scripts, superscripts, newlines and slashes in ids: each
used to be taken as a number, crash the JSON encoder, or crash httpx on the URL. And a key
piped to ``rigpilot enroll`` is used with ``--secret-stdin`` and refused without it, never
silently dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, TextIO

import pytest

from desktop.cli import main
from desktop.cli._credentials import piped_secret
from desktop.ipc.schema_networks import CredentialField
from desktop.settings import parse_cli_value


def field(name: str, secret: bool) -> CredentialField:
    return CredentialField(name=name, kind="api_key" if secret else "text", required=False,
                           how_to_obtain="", secret=secret, label=name)  # fmt: skip


DEMO_FIELDS = [field("api_key", True)]


@pytest.mark.parametrize(
    "argv",
    [
        ["job", "show", "a\nb"],
        ["job", "show", "%2F"],
        ["job", "stop", "a/b"],
        ["job", "list", "--limit", "٥"],
        ["job", "run", "-", "--timeout", "nan"],
        ["job", "run", "-", "--timeout", "inf"],
        ["events", "--limit", "²"],
        ["logs", "--tail", "²"],
        ["pause", "--gpu", "²"],
        ["pause", "--for", "٣h"],
        ["pause", "--network", "a\nb"],
        ["resume", "--network", "../x"],
        ["earnings", "--days", "٣"],
        ["earnings", "--days", "nan"],
        ["enroll", "de\nmo"],
        ["worker", "--sim-speed", "inf"],
        ["worker", "--sim-speed", "nan"],
        ["telemetry", "--simulate", "warm", "--sim-seed", "١"],
        ["telemetry", "--simulate", "warm", "--seconds", "nan"],
        ["telemetry", "--simulate", "warm", "--interval", "Infinity"],
        ["--sim-speed", "nan", "status"],
    ],
)
def test_hostile_arguments_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", "1e999", "٣", "²", "3\n4"])
def test_settings_numbers_that_json_cannot_carry_stay_text(text: str) -> None:
    """Returned as typed, so that the worker refuses them with the field's range."""
    assert parse_cli_value("sampling.interval_s", text) == text


@pytest.mark.parametrize("text", ["[NaN]", "[1e999]", '["a", Infinity]'])
def test_settings_lists_that_json_cannot_carry_stay_text(text: str) -> None:
    assert parse_cli_value("gaming.games", text) == text


def test_plain_numbers_still_parse() -> None:
    assert parse_cli_value("sampling.interval_s", " 3 ") == 3
    assert parse_cli_value("electricity.price_per_kwh", "0.25") == 0.25
    assert parse_cli_value("electricity.price_per_kwh", "2.5e-1") == 0.25


@pytest.fixture
def piped() -> Iterator[Any]:
    """A real pipe as stdin, holding what the test writes into it."""
    opened: list[TextIO] = []

    def make(data: bytes) -> TextIO:
        read_end, write_end = os.pipe()
        os.write(write_end, data)
        os.close(write_end)
        stream = os.fdopen(read_end, "r")
        opened.append(stream)
        return stream

    yield make
    for stream in opened:
        stream.close()


def test_a_piped_key_is_used_with_secret_stdin(piped: Any) -> None:
    assert piped_secret("demo", DEMO_FIELDS, True, piped(b"k3y\n")) == {"api_key": "k3y"}


def test_a_piped_key_without_the_flag_is_refused_not_dropped(piped: Any) -> None:
    with pytest.raises(ValueError, match="was not used: add --secret-stdin"):
        piped_secret("demo", DEMO_FIELDS, False, piped(b"k3y\n"))
    nosana = [field("key_file", False)]
    with pytest.raises(ValueError, match="nosana takes no secret on standard input"):
        piped_secret("nosana", nosana, False, piped(b"{...keypair...}"))


def test_an_empty_stdin_is_no_input(piped: Any) -> None:
    assert piped_secret("demo", DEMO_FIELDS, False, piped(b"")) == {}
    with pytest.raises(ValueError, match="nothing came on standard input"):
        piped_secret("demo", DEMO_FIELDS, True, piped(b"\n"))


def test_secret_stdin_needs_exactly_one_secret_field(piped: Any) -> None:
    with pytest.raises(ValueError, match="nosana has 0"):
        piped_secret("nosana", [field("key_file", False)], True, piped(b"x"))
