"""What Golem's CPU/VM provider needs of this machine, and what its GPU route needs.

Golem's own installation page (networks.md §3): Linux on x86-64 with KVM, the kernel's
virtual machines, usable by the user (``/dev/kvm``); opening UDP port 11500 is optional.
The VM runtime runs requestors' images in KVM virtual machines, so CPU virtualization
(VT-x or AMD-V, the doctor's ``system.virt`` check) must be on in the firmware.

Golem's GPU work is a different product: the gpu-golem-live image, booted from its own
disk, takes the whole GPU by passthrough (IOMMU, an RTX 30xx or newer with 8 GB, RAM at
least the VRAM, a dedicated SSD of 64 GB or more, 100 Mb/s). It cannot run beside a
normal desktop, so RigPilot offers the CPU/VM provider here and only watches such a node.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from desktop.hardware.host import read_host_facts
from desktop.model import CheckResult
from desktop.networks.records import HostFacts, requirement

KVM_DEVICE = Path("/dev/kvm")
GPU_ROUTE = (
    "Golem's GPU provider is the gpu-golem-live image, booted from a dedicated SSD (64 GB or "
    "more) with IOMMU on, an RTX 30xx or newer with 8 GB of VRAM and as much RAM; it takes "
    "the whole GPU and cannot run beside your desktop. RigPilot can watch such a node by "
    "its node id (the 'Golem GPU' network)."
)


@dataclass(frozen=True)
class GolemHost:
    """What Golem's requirements need beyond HostFacts, probed once on this machine."""

    machine: str  # x86_64, aarch64 ...
    virt_flags: tuple[str, ...]  # vmx / svm; empty when off, unknown when unreadable
    kvm: bool  # /dev/kvm exists and this user may read and write it
    kvm_detail: str

    @classmethod
    def probe(cls, device: Path = KVM_DEVICE) -> GolemHost:
        host = read_host_facts()
        flags = tuple(host.virt_flags) if host.cpu_flags is not None else ()
        if not device.exists():
            usable, detail = False, f"{device} does not exist"
        elif not os.access(device, os.R_OK | os.W_OK):
            usable, detail = False, f"{device} is not usable by this user"
        else:
            usable, detail = True, f"{device} usable"
        return cls(host.machine.lower(), flags, usable, detail)


def check_requirements(facts: HostFacts, host: GolemHost) -> list[CheckResult]:
    """Golem's documented needs for the CPU/VM provider (pure: facts only)."""
    native = facts.os == "linux" and not facts.is_wsl
    x86 = host.machine in ("x86_64", "amd64")
    return [
        requirement(
            "golem.linux",
            "Linux on x86-64",
            native and x86,
            f"{'WSL' if facts.is_wsl else facts.os.capitalize()} on {host.machine or 'unknown'}",
            "Golem's provider runs on Linux on an x86-64 processor (not WSL).",
        ),
        requirement(
            "golem.virtualization",
            "CPU virtualization",
            bool(host.virt_flags),
            ", ".join(host.virt_flags) or "no vmx/svm flag",
            "Turn on Intel VT-x or AMD-V (SVM) in the firmware (BIOS/UEFI) settings: Golem runs "
            "requestors' work in virtual machines.",
        ),
        requirement(
            "golem.kvm",
            "KVM",
            host.kvm,
            host.kvm_detail,
            "Install KVM (`sudo apt install qemu-kvm`) and add your user to the kvm group "
            "(`sudo usermod -aG kvm $USER`, then sign out and in).",
        ),
        requirement(
            "golem.gpu_route",
            "GPU work",
            True,
            "Golem's CPU/VM provider; GPU work needs the gpu-golem-live boot image",
            "",
            note=GPU_ROUTE,
        ),
    ]
