"""Nosana's host requirements (networks.md §1), judged on HostFacts alone.

Why pure: the rules decide whether enrollment is refused, so they are tested table-style
(WSL, too little RAM, a GPU off the list) without the machine that runs the tests.
"""

from __future__ import annotations

import re

from desktop.model import CheckResult
from desktop.networks.records import HostFacts, requirement

MIN_RAM_GB = 12.0
MIN_DISK_GB = 25.0
SIZE_TOLERANCE = 0.95  # a "16 GB" PC reports ~15.5 GiB
_RTX = re.compile(r"RTX\s*(\d{4})\b", re.I)
_PRO = re.compile(r"\bA(\d{4})\b", re.I)
_DATACENTER = re.compile(r"\b(A40|A100|H100)\b", re.I)


def gpu_supported(name: str) -> bool:
    """RTX 3060 to 5090 (x060..x090 of the 30/40/50 series), A4000 to A6500, A40, A100, H100."""
    if _DATACENTER.search(name):
        return True
    pro = _PRO.search(name)
    if pro and 4000 <= int(pro.group(1)) <= 6500:
        return True
    rtx = _RTX.search(name)
    if rtx:
        number = int(rtx.group(1))
        return number // 1000 in (3, 4, 5) and 60 <= number % 100 <= 90
    return False


def check_requirements(facts: HostFacts) -> list[CheckResult]:
    """Nosana's documented host requirements, judged on facts alone (pure)."""
    native = facts.os == "linux" and not facts.is_wsl
    supported = [name for name in facts.gpu_names if gpu_supported(name)]
    return [
        requirement(
            "nosana.native_linux",
            "Native Linux",
            native,
            "Native Linux" if native else ("WSL" if facts.is_wsl else facts.os.capitalize()),
            "Nosana accepts only native Linux hosts (WSL nodes are blocked since 2025-12-15). "
            "Run RigPilot on Ubuntu 20.04 or later installed on the machine.",
        ),
        requirement(
            "nosana.docker",
            "Docker",
            facts.docker_ok,
            "Docker engine reachable" if facts.docker_ok else "Docker engine not reachable",
            "Install Docker and add your user to the docker group (see `rigpilot doctor`).",
        ),
        requirement(
            "nosana.toolkit",
            "NVIDIA Container Toolkit",
            facts.toolkit_ok,
            "configured for Docker" if facts.toolkit_ok else "not configured for Docker",
            "Install nvidia-container-toolkit and run "
            "`sudo nvidia-ctk runtime configure --runtime=docker`, then restart Docker.",
        ),
        requirement(
            "nosana.ram",
            "Memory",
            facts.ram_gb >= MIN_RAM_GB * SIZE_TOLERANCE,
            f"{facts.ram_gb:.1f} GB RAM",
            f"Nosana needs at least {MIN_RAM_GB:.0f} GB of RAM.",
            ram_gb=facts.ram_gb,
        ),
        requirement(
            "nosana.disk",
            "Free disk",
            facts.free_disk_gb >= MIN_DISK_GB,
            f"{facts.free_disk_gb:.0f} GB free",
            f"The node refuses to start with less than {MIN_DISK_GB:.0f} GB free: free some "
            "space on the disk that holds Docker's data.",
            free_disk_gb=facts.free_disk_gb,
        ),
        requirement(
            "nosana.gpu",
            "Supported GPU",
            bool(supported),
            ", ".join(supported or facts.gpu_names) or "no NVIDIA GPU found",
            "Nosana accepts only the GPUs on its list: RTX 3060 to 5090, A4000 to A6500, "
            "A40, A100 and H100.",
        ),
    ]
