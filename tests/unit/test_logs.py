"""Per-process rotating logs, secret redaction, and reading a log's tail."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.logs import RedactSecrets, log_file, setup_logging, tail_lines
from desktop.paths import Paths


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "c", tmp_path / "d", tmp_path / "l", tmp_path / "r")


@pytest.fixture(autouse=True)
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_each_process_has_its_own_file(paths: Paths) -> None:
    path = setup_logging("worker", paths)
    assert path == log_file("worker", paths) == paths.log_dir / "worker.log"
    logging.getLogger("desktop.test").info("hello from the worker")
    assert any("hello from the worker" in line for line in tail_lines(path, 5))
    with pytest.raises(ValueError, match="unknown process"):
        log_file("daemon", paths)


def test_setting_up_twice_does_not_double_lines(paths: Paths) -> None:
    setup_logging("cli", paths)
    path = setup_logging("cli", paths)
    logging.getLogger("desktop.test").warning("once")
    assert sum("once" in line for line in tail_lines(path, 10)) == 1


@pytest.mark.parametrize(
    "message",
    [
        "Authorization: Bearer 0123456789abcdef0123456789abcdef",
        "sent api_key=sk_live_ABCDEFGHIJKLMNOP1234",
        'config {"token": "abcdefghijklmnopqrstuvwxyz012345"}',
    ],
)
def test_secrets_are_redacted(message: str) -> None:
    record = logging.LogRecord("x", logging.INFO, "f", 1, message, None, None)
    RedactSecrets().filter(record)
    text = record.getMessage()
    assert "[redacted]" in text
    assert "0123456789abcdef0123" not in text and "ABCDEFGHIJKLMNOP" not in text
    assert "abcdefghijklmnop" not in text


def test_ordinary_text_is_untouched() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "refused a request to %s", ("/v1/status",), None
    )
    RedactSecrets().filter(record)
    assert record.getMessage() == "refused a request to /v1/status"


def test_tail_reads_from_the_end_across_blocks(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_text("".join(f"line {i}\n" for i in range(5000)))
    assert tail_lines(path, 3, block=64) == ["line 4997", "line 4998", "line 4999"]
    assert tail_lines(path, 0) == []
    assert tail_lines(tmp_path / "absent.log", 5) == []
    short = tmp_path / "short.log"
    short.write_text("a\nb")
    assert tail_lines(short, 10) == ["a", "b"]
