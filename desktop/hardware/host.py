"""Facts about the host machine: OS, WSL, RAM, disk, CPU virtualization flags.

The doctor's system checks judge these facts; this module only reads them. Parsing is kept
in pure functions (``detect_wsl``, ``parse_cpu_flags``, ``parse_os_release``) so that the
tricky part, telling WSL1 from WSL2 from a custom WSL kernel, is tested on recorded /proc
text instead of on whatever machine runs the tests.
"""

from __future__ import annotations

import enum
import os
import platform
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Text we read from /proc and /etc is capped: these files are small, and a cap keeps a
# hostile or broken file from eating memory.
_READ_CAP = 256 * 1024

VIRT_FLAGS = ("vmx", "svm")  # Intel VT-x, AMD-V


class WslKind(enum.StrEnum):
    """Which Windows Subsystem for Linux (if any) this Linux runs in."""

    NONE = "none"
    WSL1 = "wsl1"
    WSL2 = "wsl2"


def detect_wsl(proc_version_text: str, osrelease_text: str | None = None) -> WslKind:
    """Tell WSL2 from WSL1 from plain Linux by the kernel's own description.

    WSL2 runs a real Microsoft-built kernel whose release reads like
    ``5.15.153.1-microsoft-standard-WSL2``; WSL1 has no Linux kernel at all and reports a
    fake ``4.4.0-19041-Microsoft``. Custom WSL2 kernels keep ``microsoft`` in lower case
    but may drop the ``WSL2`` suffix, so lower-case ``microsoft`` alone also means WSL2.
    """
    texts = [proc_version_text or ""]
    if osrelease_text:
        texts.append(osrelease_text)
    joined = "\n".join(texts)
    lowered = joined.lower()
    if "microsoft" not in lowered and "wsl" not in lowered:
        return WslKind.NONE
    if "wsl2" in lowered or "microsoft-standard" in lowered:
        return WslKind.WSL2
    # WSL1 spells it "Microsoft" with a capital M (in the release and the builder address).
    if re.search(r"-Microsoft\b", joined) or "Microsoft@Microsoft.com" in joined:
        return WslKind.WSL1
    if "microsoft" in joined:  # lower-case: a WSL2 kernel with a custom release name
        return WslKind.WSL2
    return WslKind.NONE


def parse_cpu_flags(cpuinfo_text: str) -> set[str]:
    """The CPU feature flags from /proc/cpuinfo (x86 ``flags``, ARM ``Features``)."""
    flags: set[str] = set()
    for line in cpuinfo_text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("flags", "features"):
            flags.update(word for word in value.split() if word.isprintable())
    return flags


def parse_os_release(text: str) -> dict[str, str]:
    """The KEY=value pairs of /etc/os-release, quotes removed; bad lines are ignored."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key.strip().isidentifier():
            values[key.strip()] = value
    return values


@dataclass(frozen=True)
class HostFacts:
    """What the system checks need to know about the machine.

    Attributes:
        system: ``Linux``, ``Windows``, ``Darwin``.
        os_name: a readable OS name ("Debian GNU/Linux 12 (bookworm)").
        kernel: the kernel release.
        wsl: WSL1 / WSL2 / none.
        ram_total_bytes: physical memory.
        cpu_flags: the CPU feature flags, or None where the OS does not expose them.
        machine: the CPU architecture (x86_64, aarch64, AMD64).
        notes: facts that could not be read, for the doctor's details.
    """

    system: str
    os_name: str
    kernel: str
    wsl: WslKind
    ram_total_bytes: int
    cpu_flags: frozenset[str] | None
    machine: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def virt_flags(self) -> list[str]:
        """The virtualization flags present (vmx/svm), empty when none or unknown."""
        if self.cpu_flags is None:
            return []
        return [flag for flag in VIRT_FLAGS if flag in self.cpu_flags]


def _read_text(path: Path) -> str | None:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            return handle.read(_READ_CAP)
    except OSError:
        return None


def read_host_facts(proc_root: Path = Path("/proc"), etc_root: Path = Path("/etc")) -> HostFacts:
    """Read the host facts; never raises (unknown facts come back empty)."""
    system = platform.system() or sys.platform
    kernel = platform.release()
    os_name = f"{system} {platform.version()}".strip()
    wsl = WslKind.NONE
    cpu_flags: frozenset[str] | None = None
    notes: list[str] = []
    if system == "Linux":
        release = parse_os_release(_read_text(etc_root / "os-release") or "")
        os_name = release.get("PRETTY_NAME") or release.get("NAME") or "Linux"
        proc_version = _read_text(proc_root / "version")
        osrelease = _read_text(proc_root / "sys" / "kernel" / "osrelease")
        if osrelease:
            kernel = osrelease.strip() or kernel
        wsl = detect_wsl(proc_version or "", osrelease)
        cpuinfo = _read_text(proc_root / "cpuinfo")
        if cpuinfo is None:
            notes.append("could not read /proc/cpuinfo")
        else:
            cpu_flags = frozenset(parse_cpu_flags(cpuinfo))
    elif system == "Darwin":
        os_name = f"macOS {platform.mac_ver()[0]}".strip()
    try:
        ram = total_ram_bytes()
    except (OSError, RuntimeError, ValueError):
        ram = 0
        notes.append("could not read the amount of RAM")
    return HostFacts(
        system=system,
        os_name=os_name,
        kernel=kernel,
        wsl=wsl,
        ram_total_bytes=ram,
        cpu_flags=cpu_flags,
        machine=platform.machine(),
        notes=tuple(notes),
    )


def total_ram_bytes() -> int:
    """The machine's RAM: from ``sysconf`` where the system has it (Linux, macOS), else
    psutil's. A worker reads this at every start; psutil's import cost more than the rest
    of these facts together (issue 18)."""
    names = getattr(os, "sysconf_names", {})
    if "SC_PHYS_PAGES" in names and "SC_PAGE_SIZE" in names:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return int(pages * size)
    import psutil  # Windows: GlobalMemoryStatusEx through psutil

    return int(psutil.virtual_memory().total)


def free_disk_bytes(path: str | Path) -> int:
    """Free bytes for an unprivileged writer on the file system holding ``path``
    (``statvfs``'s available blocks, as psutil reports them too).

    Raises OSError (FileNotFoundError, PermissionError) when the path cannot be seen.
    """
    return int(shutil.disk_usage(str(path)).free)
