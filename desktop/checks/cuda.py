"""CUDA driver version and each GPU's VRAM tier.

The CUDA version here is the newest CUDA the *driver* supports (what nvidia-smi shows top
right), not an installed toolkit: job containers bring their own CUDA runtime and need the
driver to be at least as new. The networks we target ship CUDA 11.8 images at the oldest.

Marketplaces price and match GPUs by VRAM, in steps: 8, 12, 16 and 24 GB and up. A card
below 8 GB is rejected by most job templates, so it is a warning, not a failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop.checks.base import (
    MIB_PER_GIB,
    ParseError,
    V,
    clean,
    could_not_read,
    meets,
    parse_version,
)
from desktop.model import CheckResult, CheckStatus, GpuInfo

if TYPE_CHECKING:
    from desktop.checks.context import DoctorContext

TITLE = "CUDA driver version"
MIN_CUDA = V("11.8")
VRAM_TIERS_GB = (24, 16, 12, 8)


def vram_tier(vram_total_mib: float) -> int | None:
    """The VRAM tier in GB (24 means 24 GB and up), or None below 8 GB."""
    for tier in VRAM_TIERS_GB:
        if meets(vram_total_mib, tier * MIB_PER_GIB):
            return tier
    return None


def tier_label(tier: int | None) -> str:
    if tier is None:
        return "below 8 GB"
    return f"{tier} GB+" if tier == VRAM_TIERS_GB[0] else f"{tier} GB"


def check_cuda(ctx: DoctorContext) -> CheckResult:
    """Pass when the driver supports CUDA 11.8 or newer."""
    gpus = ctx.gpus()
    reported = next((gpu.cuda_version for gpu in gpus if gpu.cuda_version), None)
    if not reported:
        return could_not_read("cuda", TITLE, "the CUDA driver version", str(reported))
    try:
        version = parse_version(reported)
    except ParseError as exc:
        return could_not_read("cuda", TITLE, "the CUDA driver version", reported, exc)
    details = {"cuda_version": str(version), "minimum": str(MIN_CUDA)}
    if not version.at_least(MIN_CUDA):
        return CheckResult(
            "cuda",
            TITLE,
            CheckStatus.FAIL,
            f"the driver supports CUDA {version}; the networks need CUDA {MIN_CUDA} or newer",
            "Update the NVIDIA driver to version 520 or newer (it brings CUDA 11.8 support).",
            details,
        )
    return CheckResult(
        "cuda", TITLE, CheckStatus.PASS, f"the driver supports CUDA {version}", "", details
    )


def gpu_result(gpu: GpuInfo) -> CheckResult:
    """One GPU's name, VRAM and tier."""
    name = clean(gpu.name, 80) or "unnamed GPU"
    tier = vram_tier(gpu.vram_total_mib)
    vram_gb = gpu.vram_total_mib / MIB_PER_GIB
    details: dict[str, Any] = {
        "index": gpu.index,
        "name": name,
        "uuid": clean(gpu.uuid, 80),
        "vram_total_mib": gpu.vram_total_mib,
        "vram_tier_gb": tier,
    }
    summary = f"{name}, {vram_gb:.1f} GB VRAM, tier {tier_label(tier)}"
    if tier is None:
        return CheckResult(
            f"gpu.{gpu.index}",
            f"GPU {gpu.index}",
            CheckStatus.WARN,
            f"{summary}: too little VRAM for most jobs",
            "Most job templates need at least 8 GB of VRAM; this GPU will get few or no jobs.",
            details,
        )
    return CheckResult(
        f"gpu.{gpu.index}", f"GPU {gpu.index}", CheckStatus.PASS, summary, "", details
    )


def check_gpus(ctx: DoctorContext) -> list[CheckResult]:
    """One result per GPU, in index order."""
    return [gpu_result(gpu) for gpu in sorted(ctx.gpus(), key=lambda g: g.index)]
