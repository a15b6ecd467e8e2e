"""The GPU backend protocol that the sampler, the guards and the doctor rely on.

Two implementations: ``nvml.NvmlBackend`` (real cards) and ``simulated.SimulatedBackend``
(the thermal model that stands in on machines without a GPU). Everything above this
layer talks to a ``GpuBackend`` and never knows which one it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from desktop.model import GpuInfo, GpuSample


class GpuError(Exception):
    """A GPU query failed. ``cause`` and ``fix`` are plain sentences the doctor shows too.

    Attributes:
        code: a stable short name ("library_not_found", "driver_not_loaded",
            "version_mismatch", "no_permission", "gpu_lost", "read_error", ...).
        cause: what is wrong, in plain words.
        fix: what the user should do about it.
    """

    def __init__(self, code: str, cause: str, fix: str = "") -> None:
        super().__init__(cause)
        self.code = code
        self.cause = cause
        self.fix = fix


class GpuLost(GpuError):
    """The GPU fell off the bus (NVML GPU_IS_LOST / RESET_REQUIRED)."""


class PermissionRequired(GpuError):
    """The operation needs root/admin (e.g. setting a power limit)."""


@dataclass(frozen=True)
class GpuProcess:
    """A process using the GPU (from the expensive process-list call)."""

    pid: int
    used_vram_mib: float | None
    name: str = ""


@runtime_checkable
class GpuBackend(Protocol):
    """One backend serves all GPUs of the machine, addressed by index."""

    def devices(self) -> list[GpuInfo]:
        """Static facts of every GPU (read once, cached by the backend)."""
        ...

    def sample(self, index: int) -> GpuSample:
        """One cheap reading; raises GpuError (or GpuLost) when it fails."""
        ...

    def processes(self, index: int) -> list[GpuProcess]:
        """Processes on the GPU; expensive (milliseconds on real cards): call rarely."""
        ...

    def set_power_limit(self, index: int, watts: float) -> None:
        """Set the power limit; raises PermissionRequired without root/admin."""
        ...

    def close(self) -> None:
        """Release the library (NVML shutdown)."""
        ...
