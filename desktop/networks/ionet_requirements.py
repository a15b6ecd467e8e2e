"""io.net's host requirements and its idle-utilisation rule, judged on names and facts.

From io.net's own pages (networks.md §2): 12 GB RAM, an SSD, Docker with the NVIDIA
Container Toolkit (the setup script installs both, CUDA 11.8 or newer), a GPU from the
supported list (RTX 3060 and newer consumer cards, RTX A-series, L4, L40S, T4, V100,
A100, H100, H200, B200), and about 20 GB of worker containers to download.

The idle-utilisation rule (device-utilization-threshold): a device available for hire
must stay idle. Other programs may use at most 20 % of a consumer RTX card and 5 % of an
RTX 4090 or 5090 and of the data-centre and pro cards io.net lists at 5 %; above that the
device can be "Blocked" and its block rewards slashed. io.net does not say over what
window it measures, so RigPilot stops io.net's worker as soon as another program is seen
on the GPU (desktop/worker/reconciler.py) and uses the percentage to look early.
"""

from __future__ import annotations

import re

from desktop.model import CheckResult
from desktop.networks.records import HostFacts, requirement

MIN_RAM_GB = 12.0
MIN_FREE_DISK_GB = 25.0  # its worker containers are about 20 GB
SIZE_TOLERANCE = 0.95
CONSUMER_IDLE_PCT = 20.0
STRICT_IDLE_PCT = 5.0

_RTX = re.compile(r"RTX\s*(\d{4})\b", re.I)
_PRO_A = re.compile(r"RTX\s*A(\d{4})\b", re.I)
_ADA = re.compile(r"RTX\s*(\d{4})\s*Ada", re.I)
_DATACENTER = re.compile(r"\b(A10G?|A16|A40|A100|H100|H200|B200|L4|L40S?|T4|V100S?)\b", re.I)
_STRICT_PRO_A = {6000}  # RTX A6000: 5 %
_STRICT_ADA = {5000, 6000}  # RTX 5000 / 6000 Ada Generation: 5 %


def gpu_supported(name: str) -> bool:
    """On io.net's supported list: RTX 3060 to 5090, RTX A-series and Ada pro cards,
    and the data-centre cards it names."""
    if _DATACENTER.search(name) or _PRO_A.search(name) or _ADA.search(name):
        return True
    rtx = _RTX.search(name)
    if rtx is None:
        return False
    number = int(rtx.group(1))
    return number // 1000 in (3, 4, 5) and 60 <= number % 100 <= 90


def idle_threshold_pct(name: str) -> float:
    """The most other programs may use of this GPU while io.net waits for work (%)."""
    if _DATACENTER.search(name):
        return STRICT_IDLE_PCT
    pro = _PRO_A.search(name)
    if pro is not None:
        return STRICT_IDLE_PCT if int(pro.group(1)) in _STRICT_PRO_A else CONSUMER_IDLE_PCT
    ada = _ADA.search(name)
    if ada is not None:
        return STRICT_IDLE_PCT if int(ada.group(1)) in _STRICT_ADA else CONSUMER_IDLE_PCT
    rtx = _RTX.search(name)
    if rtx is not None and int(rtx.group(1)) in (4090, 5090):
        return STRICT_IDLE_PCT
    return CONSUMER_IDLE_PCT


def strictest_threshold(names: tuple[str, ...]) -> float:
    """The rule of a machine: its strictest GPU's (5 % when no GPU is known yet)."""
    return min((idle_threshold_pct(n) for n in names), default=STRICT_IDLE_PCT)


def check_requirements(facts: HostFacts) -> list[CheckResult]:
    """io.net's documented host requirements, judged on facts alone (pure)."""
    supported = [name for name in facts.gpu_names if gpu_supported(name)]
    rule = ", ".join(f"{n}: {idle_threshold_pct(n):.0f} %" for n in supported)
    return [
        requirement(
            "ionet.os",
            "Linux or Windows",
            facts.os in ("linux", "windows"),
            facts.os.capitalize(),
            "io.net's GPU worker runs on Linux or Windows with an NVIDIA GPU.",
        ),
        requirement(
            "ionet.docker",
            "Docker",
            facts.docker_ok,
            "Docker engine reachable" if facts.docker_ok else "Docker engine not reachable",
            "io.net's launch binary runs its worker in Docker: install Docker (io.net's "
            "ionet-setup.sh does it) and add your user to the docker group.",
        ),
        requirement(
            "ionet.toolkit",
            "NVIDIA Container Toolkit",
            facts.toolkit_ok,
            "configured for Docker" if facts.toolkit_ok else "not configured for Docker",
            "Install nvidia-container-toolkit (io.net's ionet-setup.sh does it) and run "
            "`sudo nvidia-ctk runtime configure --runtime=docker`, then restart Docker.",
        ),
        requirement(
            "ionet.ram",
            "Memory",
            facts.ram_gb >= MIN_RAM_GB * SIZE_TOLERANCE,
            f"{facts.ram_gb:.1f} GB RAM",
            f"io.net asks for at least {MIN_RAM_GB:.0f} GB of RAM.",
            ram_gb=facts.ram_gb,
        ),
        requirement(
            "ionet.disk",
            "Free disk",
            facts.free_disk_gb >= MIN_FREE_DISK_GB,
            f"{facts.free_disk_gb:.0f} GB free",
            f"io.net's worker containers take about 20 GB: free at least "
            f"{MIN_FREE_DISK_GB:.0f} GB on the disk that holds Docker's data.",
            free_disk_gb=facts.free_disk_gb,
        ),
        requirement(
            "ionet.gpu",
            "Supported GPU",
            bool(supported),
            (", ".join(supported) + f" (others may use at most {rule})")
            if supported
            else (", ".join(facts.gpu_names) or "no NVIDIA GPU found"),
            "io.net accepts the GPUs on its list: RTX 3060 and newer, RTX A-series, L4, "
            "L40S, T4, V100, A100, H100, H200 and B200.",
        ),
    ]
