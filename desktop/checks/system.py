"""System checks: OS and WSL, RAM, free disk where Docker keeps images, CPU virtualization.

The thresholds are the marketplaces' own: Nosana and io.net ask for 12 GB of RAM, and
GPU job images are large (CUDA runtimes, model weights), so 25 GB free on Docker's data
root is the least that lets a node take a job without running out of space mid-pull.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.checks.base import GIB, ParseError, clean, format_gib, meets, skipped
from desktop.checks.engine import EngineError
from desktop.hardware.host import WslKind
from desktop.model import CheckResult, CheckStatus

if TYPE_CHECKING:
    from desktop.checks.context import DoctorContext

MIN_RAM_GB = 12
MIN_DISK_GB = 25


def check_os(ctx: DoctorContext) -> CheckResult:
    """OS, kernel and WSL: WSL1 and macOS cannot give a container an NVIDIA GPU."""
    host = ctx.host()
    title = "Operating system"
    details = {
        "system": host.system,
        "os": clean(host.os_name, 120),
        "kernel": clean(host.kernel, 120),
        "wsl": host.wsl.value,
        "machine": host.machine,
    }
    described = f"{clean(host.os_name, 80)}, kernel {clean(host.kernel, 60)}"
    if host.wsl is WslKind.WSL2:
        return CheckResult("system.os", title, CheckStatus.PASS, f"{described} (WSL2)", "", details)
    if host.wsl is WslKind.WSL1:
        return CheckResult(
            "system.os",
            title,
            CheckStatus.FAIL,
            f"{described} (WSL1: no GPU access)",
            "Convert the distribution to WSL2 in PowerShell: `wsl --set-version <distro> 2`.",
            details,
        )
    if host.system == "Darwin":
        return CheckResult(
            "system.os",
            title,
            CheckStatus.FAIL,
            f"{described}: macOS has no NVIDIA CUDA support",
            "Run RigPilot on a Linux or Windows machine with an NVIDIA GPU.",
            details,
        )
    return CheckResult("system.os", title, CheckStatus.PASS, described, "", details)


def check_ram(ctx: DoctorContext) -> CheckResult:
    """Warn below 12 GB: the networks refuse or starve nodes with less."""
    host = ctx.host()
    title = "Memory (RAM)"
    if host.ram_total_bytes <= 0:
        return CheckResult(
            "system.ram", title, CheckStatus.WARN, "could not read the amount of RAM", "", {}
        )
    details = {"ram_total_bytes": host.ram_total_bytes, "minimum_gb": MIN_RAM_GB}
    shown = format_gib(host.ram_total_bytes)
    if not meets(host.ram_total_bytes, MIN_RAM_GB * GIB):
        return CheckResult(
            "system.ram",
            title,
            CheckStatus.WARN,
            f"{shown} of RAM; Nosana and io.net ask for {MIN_RAM_GB} GB",
            f"Add memory to reach {MIN_RAM_GB} GB or more; with less, many jobs will not be "
            "offered to this machine.",
            details,
        )
    return CheckResult("system.ram", title, CheckStatus.PASS, f"{shown} of RAM", "", details)


def check_disk(ctx: DoctorContext) -> CheckResult:
    """Free space on Docker's data root (DockerRootDir), where images and layers land."""
    title = "Free disk for Docker"
    try:
        info = ctx.docker_info()
        local = ctx.engine().address.local
    except EngineError as exc:
        return skipped(
            "system.disk", title, f"skipped: Docker's data root is unknown ({exc.reason})"
        )
    except ParseError:
        return skipped("system.disk", title, "skipped: Docker's info could not be read")
    root = info.docker_root_dir
    if not root:
        return skipped(
            "system.disk", title, "skipped: the engine did not say where it keeps its data"
        )
    if not local:
        where = (
            "in Docker Desktop's virtual machine"
            if ctx.engine().address.scheme == "npipe"
            else "on another machine"
        )
        return skipped(
            "system.disk",
            title,
            f"skipped: the engine runs {where}; its data root {clean(root, 120)} "
            "is not on this file system",
        )
    try:
        free = ctx.disk_free(root)
    except OSError as exc:
        return CheckResult(
            "system.disk",
            title,
            CheckStatus.WARN,
            f"cannot see Docker's data root {clean(root, 120)} from here",
            "Check the free space of the disk holding it with `df -h`.",
            {"docker_root_dir": clean(root, 200), "error": clean(exc, 200)},
        )
    details = {"docker_root_dir": clean(root, 200), "free_bytes": free, "minimum_gb": MIN_DISK_GB}
    if not meets(free, MIN_DISK_GB * GIB):
        return CheckResult(
            "system.disk",
            title,
            CheckStatus.WARN,
            f"{format_gib(free)} free on {clean(root, 120)}; GPU job images need {MIN_DISK_GB} GB",
            "Free space (`docker system prune` removes unused images), or move Docker's data "
            'root to a bigger disk ("data-root" in /etc/docker/daemon.json).',
            details,
        )
    return CheckResult(
        "system.disk",
        title,
        CheckStatus.PASS,
        f"{format_gib(free)} free on {clean(root, 120)}",
        "",
        details,
    )


def check_virtualization(ctx: DoctorContext) -> CheckResult:
    """vmx/svm flags, for information: only VM-isolated networks (Golem) need them."""
    host = ctx.host()
    title = "CPU virtualization"
    if host.cpu_flags is None:
        return skipped("system.virt", title, "skipped: CPU flags are not readable on this system")
    flags = host.virt_flags
    details = {"flags": flags}
    if flags:
        name = "Intel VT-x" if "vmx" in flags else "AMD-V"
        summary = f"{name} available ({', '.join(flags)})"
    else:
        summary = (
            "no vmx/svm flag (off in the BIOS, or inside a VM); only VM-based networks need it"
        )
    return CheckResult("system.virt", title, CheckStatus.PASS, summary, "", details)
