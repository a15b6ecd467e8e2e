"""The driver check: every NVML failure becomes a cause and a fix."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from desktop.checks.driver import CAUSES, FIXES, WSL_INSTALL_FIX, check_driver, describe_gpu_error
from desktop.hardware.gpu import GpuError, GpuLost
from desktop.hardware.host import WslKind
from desktop.model import CheckStatus


def test_driver_pass_reports_version_and_count(fakes: Any) -> None:
    gpus = [fakes.make_gpu(0), fakes.make_gpu(1, name="NVIDIA GeForce RTX 3060", vram_mib=12288)]
    result = check_driver(fakes.make_context(gpus=gpus))
    assert result.status is CheckStatus.PASS
    assert result.summary == "driver 550.54.14 loaded, 2 GPUs"
    assert result.details == {"driver_version": "550.54.14", "gpu_count": 2}


@pytest.mark.parametrize(
    "code",
    ["library_not_found", "driver_not_loaded", "version_mismatch", "no_permission", "gpu_lost"],
)
def test_each_code_without_backend_text_uses_the_table(fakes: Any, code: str) -> None:
    result = check_driver(fakes.make_context(gpu_error=GpuError(code, "")))
    assert result.status is CheckStatus.FAIL
    assert result.summary == f"NVIDIA driver not usable: {CAUSES[code]}"
    assert result.fix == FIXES[code]
    assert result.details["code"] == code


def test_backend_cause_and_fix_win(fakes: Any) -> None:
    error = GpuError("version_mismatch", "Driver/library version mismatch", "Reboot now.")
    result = check_driver(fakes.make_context(gpu_error=error))
    assert result.summary == "NVIDIA driver not usable: Driver/library version mismatch"
    assert result.fix == "Reboot now."


def test_version_mismatch_fix_says_reboot(fakes: Any) -> None:
    result = check_driver(fakes.make_context(gpu_error=GpuError("version_mismatch", "")))
    assert result.fix.startswith("Reboot")


def test_gpu_lost_subclass_is_handled(fakes: Any) -> None:
    result = check_driver(fakes.make_context(gpu_error=GpuLost("gpu_lost", "GPU 0 is lost")))
    assert result.status is CheckStatus.FAIL
    assert "dmesg" in result.fix


def test_unknown_code_points_at_nvidia_smi(fakes: Any) -> None:
    result = check_driver(fakes.make_context(gpu_error=GpuError("unknown", "NVML said 999")))
    assert result.summary.endswith("NVML said 999")
    assert "nvidia-smi" in result.fix


def test_wsl2_without_driver_points_at_windows(fakes: Any) -> None:
    ctx = fakes.make_context(
        gpu_error=GpuError("library_not_found", "no libnvidia-ml", "apt install nvidia-driver"),
        host=fakes.make_host(wsl=WslKind.WSL2),
    )
    result = check_driver(ctx)
    assert result.fix == WSL_INSTALL_FIX


def test_hostile_cause_text_is_cleaned() -> None:
    cause, fix = describe_gpu_error(GpuError("unknown", "bad\x1b[2J thing", "do \x07this"))
    assert (cause, fix) == ("bad thing", "do this")


def test_no_gpu_is_a_failure(fakes: Any) -> None:
    result = check_driver(fakes.make_context(gpus=[]))
    assert result.status is CheckStatus.FAIL
    assert "sees no GPU" in result.summary


def test_backend_is_closed_after_reading(fakes: Any) -> None:
    backend = fakes.FakeBackend([fakes.make_gpu()])
    ctx = fakes.make_context(factory=lambda: backend)
    assert check_driver(ctx).status is CheckStatus.PASS
    assert backend.closed


def test_hung_driver_costs_the_timeout_not_forever(fakes: Any) -> None:
    release, returned = threading.Event(), threading.Event()

    def hang() -> Any:
        release.wait(60)  # a driver call that hangs until the test lets it go
        returned.set()
        raise GpuError("unknown", "released")

    ctx = fakes.make_context(factory=hang, nvml_timeout_s=0.2)
    result = check_driver(ctx)
    # The check answered while the driver call was still hung: it gave up at its time-out
    # instead of waiting for the driver (no wall-clock duration needed to show that).
    assert not returned.is_set()
    release.set()
    assert result.status is CheckStatus.FAIL
    assert result.details["code"] == "timeout"
    assert "persistence mode" in result.fix
