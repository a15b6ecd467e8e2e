"""`rigpilot doctor`'s table and exit code (desktop.cli.doctor), with canned results."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from desktop.cli import doctor as cli_doctor
from desktop.cli import main as cli_main
from desktop.cli.doctor import render_table
from desktop.model import CheckResult, CheckStatus

RESULTS = [
    CheckResult(
        "driver",
        "NVIDIA driver",
        CheckStatus.FAIL,
        "NVIDIA driver not usable: not installed",
        "Install the NVIDIA driver, then reboot.",
    ),
    CheckResult(
        "cuda", "CUDA driver version", CheckStatus.SKIP, "skipped because NVIDIA driver failed"
    ),
    CheckResult(
        "docker.engine",
        "Docker engine",
        CheckStatus.PASS,
        "Docker 27.3.1 (API 1.47) usable by this user",
        "ignored fix",
    ),
    CheckResult(
        "system.ram",
        "Memory (RAM)",
        CheckStatus.WARN,
        "8.0 GB of RAM; Nosana and io.net ask for 12 GB",
        "Add memory.",
    ),
]


def test_table_has_status_words_symbols_and_fixes_under_problems() -> None:
    text = render_table(RESULTS, width=100, colour=False, unicode=True)
    lines = text.splitlines()
    driver = next(i for i, line in enumerate(lines) if "NVIDIA driver " in line)
    assert "✘ FAIL" in lines[driver]
    assert lines[driver + 1].strip() == "fix: Install the NVIDIA driver, then reboot."
    assert lines[driver + 1].startswith(" " * 30)
    assert any("✔ PASS" in line and "Docker engine" in line for line in lines)
    assert any("⚠ WARN" in line for line in lines)
    assert any("– SKIP" in line for line in lines)
    assert "fix: Add memory." in text
    assert "ignored fix" not in text  # passing checks show no fix
    assert "\x1b[" not in text
    assert (
        lines[-1] == "Not ready yet: 1 failed, 1 warning, 1 passed, 1 skipped. "
        "Fix the failures above and run again."
    )


def test_ascii_fallback_and_colour() -> None:
    plain = render_table(RESULTS, unicode=False)
    assert "x FAIL" in plain and "+ PASS" in plain and "! WARN" in plain
    coloured = render_table(RESULTS, colour=True)
    assert "\x1b[31m" in coloured and "\x1b[0m" in coloured


def test_long_text_wraps_within_the_width() -> None:
    long = CheckResult("runc", "runc", CheckStatus.FAIL, "word " * 60, "fix " * 60)
    for line in render_table([long], width=80).splitlines():
        assert len(line) <= 80


def test_all_good_footer() -> None:
    text = render_table([RESULTS[2]])
    assert text.splitlines()[-1] == "Nothing failed (1 passed)."


@pytest.mark.parametrize(("results", "code"), [(RESULTS, 1), (RESULTS[1:], 0)])
def test_exit_code_and_json(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    results: list[CheckResult],
    code: int,
    rigpilot_home: Path,  # the doctor reads the speed-test setting from there
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(**options: Any) -> list[CheckResult]:
        seen.update(options)
        return results

    monkeypatch.setattr(cli_doctor, "run_doctor", fake_run)
    assert cli_main(["doctor", "--json", "--no-smoke"]) == code
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is (code == 0)
    assert [c["id"] for c in report["checks"]] == [r.id for r in results]
    assert {k: seen.pop(k) for k in ("smoke", "smoke_image")} == {
        "smoke": False,
        "smoke_image": "ubuntu:24.04",
    }
    assert seen["network"] is True and seen["ports"] == []  # the connection is measured
    assert "nosana" in [n.network for n in seen["link_needs"]]
    seen.clear()
    assert cli_main(["doctor", "--json", "--no-smoke", "--no-network"]) == code
    assert seen == {"smoke": False, "smoke_image": "ubuntu:24.04"}


def test_human_output_on_a_pipe_has_no_colour(
    monkeypatch: pytest.MonkeyPatch, rigpilot_home: Path
) -> None:
    monkeypatch.setattr(cli_doctor, "run_doctor", lambda **options: RESULTS)
    buffer = io.StringIO()
    monkeypatch.setattr("sys.stdout", buffer)
    assert cli_main(["doctor"]) == 1
    assert "\x1b[" not in buffer.getvalue()
    assert "fix: Install the NVIDIA driver" in buffer.getvalue()
