"""``rigpilot telemetry`` (desktop/cli/telemetry.py), run through the real CLI dispatcher."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pynvml
import pytest

from desktop.cli import main
from desktop.model import GpuInfo, GpuSample


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["telemetry", *argv])
    except SystemExit as exc:  # argparse refusing the arguments
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_simulated_gpus_print_a_header_and_a_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--simulate", "warm,hot", "--sim-load", "1", "--seconds", "0")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4
    assert "Simulated RTX 3080 (warm)" in lines[0] and "shutdown 98" in lines[0]
    assert lines[2].split()[1] == "GPU0" and "power-cap" in lines[2]
    assert lines[3].split()[1] == "GPU1" and " W / 230 W" in lines[3]


def test_json_lines_rebuild_into_model_objects(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--simulate", "cool", "--json", "--seconds", "0")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["type"] for r in rows] == ["device", "sample"]
    info = GpuInfo.from_json(rows[0])
    sample = GpuSample.from_json(rows[1])
    assert info.simulated and sample.uuid == info.uuid and sample.mem_temp_c is None


def test_seconds_and_interval_set_the_number_of_readings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "--simulate", "warm", "--interval", "1", "--seconds", "1.5", "--json"
    )
    assert code == 0
    assert sum(1 for line in out.splitlines() if '"type": "sample"' in line) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--simulate", "lukewarm"], "valid profiles: cool, warm, hot, broken-fan"),
        (["--simulate", ""], "valid profiles"),
        (["--interval", "0.2"], "between 1 and 5 seconds"),
        (["--interval", "soon"], "between 1 and 5 seconds"),
        (["--simulate", "warm", "--sim-speed", "0"], "0.001 to 10000"),
        (["--sim-speed", "5"], "--sim-speed only applies with --simulate"),
        (["--simulate", "warm", "--sim-load", "2"], "0 (idle) to 1 (full load)"),
    ],
)
def test_bad_arguments_exit_2_naming_what_is_allowed(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_without_a_driver_it_exits_1_with_the_cause_and_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> None:
        raise pynvml.NVMLError_LibraryNotFound()

    monkeypatch.setattr(pynvml, "nvmlInit", fail)
    code, _, err = run(capsys, "--seconds", "0")
    assert code == 1
    assert "the NVIDIA driver is not installed" in err
    assert "Fix: Install the NVIDIA driver" in err
    assert "Traceback" not in err


def test_json_mode_also_prints_the_error_as_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> None:
        raise pynvml.NVMLError_LibRmVersionMismatch()

    monkeypatch.setattr(pynvml, "nvmlInit", fail)
    code, out, _ = run(capsys, "--json", "--seconds", "0")
    assert code == 1
    error = json.loads(out)
    assert error["type"] == "error" and error["code"] == "version_mismatch"
    assert "Restart" in error["fix"]


def test_real_gpus_are_read_through_nvml(
    capsys: pytest.CaptureFixture[str], recorded: Callable[[str], Any]
) -> None:
    recorded("datacenter_a100_550.json")
    code, out, _ = run(capsys, "--seconds", "0")
    assert code == 0
    header, line = out.splitlines()
    assert "NVIDIA A100-PCIE-40GB" in header
    assert " 54 " in line and "mem  61" in line and "fan   - %" in line
