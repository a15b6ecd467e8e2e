"""The doctor on a Windows host: Windows fixes (nvidia.com, Docker Desktop + WSL 2), no toolkit.

The host is a fake with ``system="Windows"`` so this runs everywhere; the Windows test tier
(tests/windows) runs the real doctor under Wine, with no nvml.dll and no Docker Desktop.
"""

from __future__ import annotations

import errno

import httpx

from desktop.checks import windows
from desktop.checks.engine import EngineError
from desktop.checks.runner import run_checks
from desktop.hardware.gpu import GpuError
from desktop.model import CheckResult, CheckStatus
from tests.unit.checks.conftest import FakeEngine, make_context, make_host

WINDOWS = make_host(system="Windows", os_name="Windows 10.0.19045", kernel="10", cpu_flags=None)


def by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.id: r for r in results}


def test_no_nvml_dll_sends_the_user_to_nvidia_com() -> None:
    error = GpuError("library_not_found", "", "")
    results = by_id(run_checks(make_context(gpu_error=error, host=WINDOWS, smoke=False)))
    driver = results["driver"]
    assert driver.status is CheckStatus.FAIL
    assert "nvml.dll was not found" in driver.summary
    assert "https://www.nvidia.com/Download/index.aspx" in driver.fix
    assert "apt" not in driver.fix and "ubuntu" not in driver.fix.lower()


def test_no_docker_desktop_says_wsl_install_and_docker_desktop() -> None:
    engine = FakeEngine(raise_on_connect=httpx.ConnectError("no pipe"))
    engine.raise_on_connect.__cause__ = OSError(errno.ENOENT, "no such named pipe")
    results = by_id(run_checks(make_context(engine=engine, host=WINDOWS, smoke=False)))
    docker = results["docker.engine"]
    assert docker.status is CheckStatus.FAIL
    assert docker.fix == windows.DOCKER_DESKTOP_FIX
    assert "`wsl --install`" in docker.fix and "WSL 2" in docker.fix
    assert "systemctl" not in docker.fix


def test_the_toolkit_is_not_asked_for_on_windows() -> None:
    results = by_id(run_checks(make_context(host=WINDOWS, commands={}, smoke=False)))
    toolkit = results["toolkit.version"]
    assert toolkit.status is CheckStatus.PASS and "not needed on Windows" in toolkit.summary


def test_linux_keeps_its_own_fixes() -> None:
    error = GpuError("library_not_found", "", "")
    results = by_id(run_checks(make_context(gpu_error=error, smoke=False)))
    assert "nvml.dll" not in results["driver"].summary
    assert results["toolkit.version"].status is CheckStatus.PASS  # the recorded 1.17.8
    assert "not needed" not in results["toolkit.version"].summary


def test_a_unix_docker_host_on_windows_says_unset_it() -> None:
    engine = FakeEngine(raise_on_connect=EngineError("bad_host", "a unix socket"))
    results = by_id(run_checks(make_context(engine=engine, host=WINDOWS, smoke=False)))
    docker = results["docker.engine"]
    assert docker.status is CheckStatus.FAIL and docker.fix == windows.DOCKER_HOST_FIX
    assert "Docker Desktop" in docker.fix and "npipe:" in docker.fix
