"""What the doctor says on Windows, where the fixes are downloads and clicks, not apt.

On Windows the GPU reaches containers through Docker Desktop's WSL 2 backend: the Windows
NVIDIA driver (which ships ``nvml.dll``) is the only driver, WSL 2 carries it into Docker
Desktop's Linux VM, and there is no NVIDIA Container Toolkit to install on the Windows side.
So the Linux fixes (``apt install``, ``systemctl``, ``usermod``) are replaced here by the
Windows ones, and the toolkit check is answered instead of failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.model import CheckResult, CheckStatus

if TYPE_CHECKING:
    from desktop.checks.context import DoctorContext

DRIVER_URL = "https://www.nvidia.com/Download/index.aspx"
DOCKER_DESKTOP_URL = "https://docs.docker.com/desktop/setup/install/windows-install/"

DRIVER_MISSING = "the NVIDIA driver is not installed (nvml.dll was not found)"
DRIVER_FIX = (
    f"Install the current NVIDIA Game Ready or Studio driver for your card from {DRIVER_URL} "
    "(or through the NVIDIA App), then restart Windows. It brings nvml.dll, which RigPilot "
    "reads the GPU with, and the GPU support WSL 2 and Docker Desktop use."
)
DRIVER_NOT_RUNNING_FIX = (
    "Restart Windows. If the GPU is still missing, reinstall the driver from "
    f"{DRIVER_URL} with \"Perform a clean installation\" ticked."
)
DOCKER_DESKTOP_FIX = (
    "Install Docker Desktop with the WSL 2 backend: first, in PowerShell run as "
    "administrator, `wsl --install` and restart Windows; then install Docker Desktop from "
    f"{DOCKER_DESKTOP_URL} (keep \"Use WSL 2 instead of Hyper-V\" ticked) and start it. If "
    "Docker Desktop is installed already, start it from the Start menu and wait until it "
    "says the engine is running."
)
DOCKER_DESKTOP_ACCESS_FIX = (
    "Add your account to the docker-users group: in PowerShell run as administrator, "
    "`net localgroup docker-users $env:USERNAME /add`, then sign out and back in."
)
DOCKER_DESKTOP_HUNG_FIX = (
    "Docker Desktop's engine is hung or still starting: open Docker Desktop, wait until it "
    "says the engine is running (or choose Troubleshoot → Restart), then try again."
)
DOCKER_HOST_FIX = (
    "Unset DOCKER_HOST (System → Environment Variables) so RigPilot uses Docker Desktop's "
    "engine at npipe:////./pipe/docker_engine, or set it to that pipe or to tcp://host:port."
)
TOOLKIT_NOT_NEEDED = (
    "not needed on Windows: Docker Desktop's WSL 2 backend gives containers the GPU "
    "through the Windows NVIDIA driver"
)


def on_windows(ctx: DoctorContext) -> bool:
    """True when the doctor runs on Windows (from the host facts, so tests can say so)."""
    try:
        return ctx.host().system == "Windows"
    except Exception:  # noqa: BLE001 - host facts are a nicety for the wording
        return False


def driver_cause_and_fix(code: str) -> tuple[str, str] | None:
    """The Windows wording for an NVML failure code, or None to keep the generic one."""
    if code == "library_not_found":
        return DRIVER_MISSING, DRIVER_FIX
    if code == "driver_not_loaded":
        return "the NVIDIA driver is installed but not running", DRIVER_NOT_RUNNING_FIX
    return None


def engine_fix(kind: str) -> str | None:
    """The Windows fix for an engine failure kind (see EngineError), or None."""
    if kind in ("no_socket", "refused", "not_socket", "unreachable"):
        return DOCKER_DESKTOP_FIX
    if kind == "permission":
        return DOCKER_DESKTOP_ACCESS_FIX
    if kind == "timeout":
        return DOCKER_DESKTOP_HUNG_FIX
    if kind == "bad_host":
        return DOCKER_HOST_FIX
    return None


def toolkit_result() -> CheckResult:
    """The toolkit check's answer on Windows: nothing to install (see the module docstring)."""
    return CheckResult(
        "toolkit.version",
        "NVIDIA Container Toolkit",
        CheckStatus.PASS,
        TOOLKIT_NOT_NEEDED,
        "",
        {"platform": "windows"},
    )
