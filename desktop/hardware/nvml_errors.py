"""What each NVML error means to a user: a stable code, a plain cause and a fix.

Kept as data, keyed by the numeric return codes of ``nvml.h`` (a stable ABI), so the
wording can be read and reviewed in one place; ``nvml.explain_nvml_error`` applies it and
the doctor shows the same sentences. No pynvml import here: nvml.py is the only importer.
"""

from __future__ import annotations

from desktop.hardware.gpu import GpuError, GpuLost

LOST_CODES = ("gpu_lost", "reset_required")

RESTART_FIX = (
    "Restart the computer; if it persists, reinstall the NVIDIA driver and run `rigpilot doctor`."
)
ERRORS: dict[int, tuple[str, str, str]] = {
    12: (  # NVML_ERROR_LIBRARY_NOT_FOUND
        "library_not_found",
        "the NVIDIA driver is not installed (its NVML library was not found)",
        "Install the NVIDIA driver for your card (Ubuntu: `sudo ubuntu-drivers install`; "
        "Windows: nvidia.com/drivers), then restart the computer.",
    ),
    9: (  # NVML_ERROR_DRIVER_NOT_LOADED
        "driver_not_loaded",
        "the NVIDIA driver is installed but not running (its kernel module is not loaded)",
        "Restart the computer. If that does not help, check that Secure Boot allows the "
        "NVIDIA module (`sudo modprobe nvidia` says why it will not load) or reinstall the driver.",
    ),
    18: (  # NVML_ERROR_LIB_RM_VERSION_MISMATCH
        "version_mismatch",
        "the driver was updated but the old one is still loaded",
        "Restart the computer to load the new driver.",
    ),
    4: (  # NVML_ERROR_NO_PERMISSION
        "no_permission",
        "this user is not allowed to use the GPU",
        "Add your user to the group that owns /dev/nvidia* (often `video`), then log out and in.",
    ),
    17: (  # NVML_ERROR_OPERATING_SYSTEM
        "no_permission",
        "the operating system blocked access to the GPU (a container or cgroup device rule)",
        "Run RigPilot outside the container, or give the container the NVIDIA devices.",
    ),
    15: (  # NVML_ERROR_GPU_IS_LOST
        "gpu_lost",
        "the GPU stopped responding and fell off the bus",
        "Save your work and restart the computer. If it happens again, check the card's "
        "power cables, its seating in the slot and its temperatures.",
    ),
    16: (  # NVML_ERROR_RESET_REQUIRED
        "reset_required",
        "the GPU needs a reset after an error",
        "Restart the computer (or `sudo nvidia-smi --gpu-reset` while nothing uses the GPU).",
    ),
    10: (  # NVML_ERROR_TIMEOUT
        "timeout",
        "the NVIDIA driver did not answer in time",
        "Turn on persistence mode so the driver stays ready (`sudo nvidia-smi -pm 1` or the "
        "nvidia-persistenced service), then try again.",
    ),
    13: (  # NVML_ERROR_FUNCTION_NOT_FOUND
        "unknown",
        "the NVIDIA driver is too old for RigPilot",
        "Update the NVIDIA driver to a current release, then restart the computer.",
    ),
    8: (  # NVML_ERROR_INSUFFICIENT_POWER
        "unknown",
        "the GPU's power connectors are not plugged in properly",
        "Shut the computer down, connect every power connector on the card, and start again.",
    ),
    14: (  # NVML_ERROR_CORRUPTED_INFOROM
        "unknown",
        "the GPU's configuration memory (infoROM) is corrupted",
        "Ask the card's vendor for a firmware update; until then the card may be unreliable.",
    ),
}


def explain_code(value: int | None, text: str) -> GpuError:
    """The GpuError for an NVML return code (None: not an NVML error); ``text`` is its message."""
    if value is not None and value in ERRORS:
        code, cause, fix = ERRORS[value]
    elif value is not None:
        code, cause, fix = "unknown", f"the NVIDIA driver reported an error: {text}", RESTART_FIX
    else:
        code, cause, fix = "unknown", f"the NVIDIA library failed: {text}", RESTART_FIX
    cls = GpuLost if code in LOST_CODES else GpuError
    return cls(code, cause, fix)
