"""NVIDIA driver check: is it installed and loaded, and which version.

The NVML backend raises a GpuError whose ``code`` says what went wrong; this module turns
each code into a cause and a fix a gamer can follow. The backend's own fix text wins when
it has one (it knows the exact NVML error); the table below is the fallback, and it knows
one thing the backend cannot: on WSL2 the driver is installed on Windows, not in Linux.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.checks import windows as windows_wording
from desktop.checks.base import clean
from desktop.hardware.gpu import GpuError
from desktop.hardware.host import WslKind
from desktop.model import CheckResult, CheckStatus

if TYPE_CHECKING:
    from desktop.checks.context import DoctorContext

TITLE = "NVIDIA driver"

INSTALL_FIX = (
    "Install the NVIDIA driver, then reboot. Ubuntu: `sudo ubuntu-drivers install`; "
    "Debian: `sudo apt install nvidia-driver firmware-misc-nonfree`; "
    "others: https://www.nvidia.com/Download/index.aspx"
)
WSL_INSTALL_FIX = (
    "On WSL2 the driver is installed on Windows, not inside Linux: install the current "
    "NVIDIA Game Ready or Studio driver on Windows and run `wsl --update`. Do not install a "
    "Linux NVIDIA driver inside WSL."
)

CAUSES = {
    "library_not_found": "the NVIDIA driver is not installed (libnvidia-ml not found)",
    "driver_not_loaded": "the NVIDIA driver is installed but its kernel module is not loaded",
    "version_mismatch": (
        "the driver was updated but the old kernel module is still running "
        "(driver/library version mismatch)"
    ),
    "no_permission": "this user may not open the GPU devices (/dev/nvidia*)",
    "gpu_lost": "the GPU has fallen off the bus and is not answering",
    "timeout": "the NVIDIA driver did not answer in time",
}

FIXES = {
    "library_not_found": INSTALL_FIX,
    "driver_not_loaded": (
        "Reboot. If it still fails, Secure Boot may be blocking the module: check "
        "`mokutil --sb-state` and enrol the driver's key or sign the module, then "
        "`sudo modprobe nvidia`."
    ),
    "version_mismatch": (
        "Reboot, so the new driver's kernel module is loaded. GPU jobs stay refused until then."
    ),
    "no_permission": (
        "Check `ls -l /dev/nvidia*`: the devices should be readable and writable by your "
        "user (mode 0666, or a group you are in)."
    ),
    "gpu_lost": (
        "Shut the machine down, check the GPU's power cables and seating, then look at "
        "`sudo dmesg | grep -i xid`. Do not run jobs on this GPU until it is stable."
    ),
}
UNKNOWN_FIX = "Run `nvidia-smi`: it prints the driver's own error message."


def describe_gpu_error(
    error: GpuError, wsl: WslKind = WslKind.NONE, windows: bool = False
) -> tuple[str, str]:
    """The (cause, fix) pair for a GpuError, the backend's words first (Windows: its own)."""
    if windows and (worded := windows_wording.driver_cause_and_fix(error.code)):
        return worded
    cause = clean(error.cause, 300) or CAUSES.get(error.code, f"NVML error {error.code}")
    if error.code in ("library_not_found", "driver_not_loaded") and wsl is WslKind.WSL2:
        return cause, WSL_INSTALL_FIX
    fix = clean(error.fix, 600) or FIXES.get(error.code, UNKNOWN_FIX)
    return cause, fix


def check_driver(ctx: DoctorContext) -> CheckResult:
    """Pass with the driver version when NVML opens and sees at least one GPU."""
    try:
        gpus = ctx.gpus()
    except GpuError as exc:
        wsl = WslKind.NONE
        try:
            wsl = ctx.host().wsl
        except Exception:  # noqa: BLE001 - host facts are a nicety here
            pass
        cause, fix = describe_gpu_error(exc, wsl, windows_wording.on_windows(ctx))
        return CheckResult(
            "driver",
            TITLE,
            CheckStatus.FAIL,
            f"NVIDIA driver not usable: {cause}",
            fix,
            {"code": exc.code, "cause": cause},
        )
    if not gpus:
        return CheckResult(
            "driver",
            TITLE,
            CheckStatus.FAIL,
            "the NVIDIA driver is loaded but sees no GPU",
            "Check that the GPU is seated and powered and shows in `lspci | grep -i nvidia`; "
            "a GPU behind a VM needs PCI passthrough.",
            {"gpu_count": 0},
        )
    versions = sorted({clean(gpu.driver_version, 40) for gpu in gpus if gpu.driver_version})
    version = ", ".join(versions) or "unknown version"
    count = len(gpus)
    return CheckResult(
        "driver",
        TITLE,
        CheckStatus.PASS,
        f"driver {version} loaded, {count} GPU{'s' if count != 1 else ''}",
        "",
        {"driver_version": versions[0] if len(versions) == 1 else versions, "gpu_count": count},
    )
