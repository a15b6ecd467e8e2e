"""CUDA driver version and VRAM tiers."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.checks.cuda import check_cuda, check_gpus, gpu_result, tier_label, vram_tier
from desktop.model import CheckStatus


@pytest.mark.parametrize(
    ("cuda", "status"),
    [
        ("12.4", CheckStatus.PASS),
        ("11.8", CheckStatus.PASS),
        ("13.0", CheckStatus.PASS),
        ("11.7", CheckStatus.FAIL),
        ("10.2", CheckStatus.FAIL),
    ],
)
def test_cuda_minimum_is_11_8(fakes: Any, cuda: str, status: CheckStatus) -> None:
    result = check_cuda(fakes.make_context(gpus=[fakes.make_gpu(cuda=cuda)]))
    assert result.status is status
    assert result.details["cuda_version"] == cuda


def test_old_cuda_fix_names_the_driver_branch(fakes: Any) -> None:
    result = check_cuda(fakes.make_context(gpus=[fakes.make_gpu(cuda="11.4")]))
    assert "CUDA 11.4" in result.summary
    assert "520" in result.fix


@pytest.mark.parametrize("cuda", [None, "", "unknown", "\x1b[31mN/A"])
def test_unreadable_cuda_version_warns(fakes: Any, cuda: str | None) -> None:
    result = check_cuda(fakes.make_context(gpus=[fakes.make_gpu(cuda=cuda)]))
    assert result.status is CheckStatus.WARN
    assert result.summary == "could not read the CUDA driver version"
    assert "\x1b" not in result.details["raw"]


@pytest.mark.parametrize(
    ("mib", "tier"),
    [
        (24564, 24),  # RTX 4090 reports a little under 24 GiB
        (32607, 24),  # RTX 5090: 24 GB and up
        (16376, 16),
        (12288, 12),
        (11264, 8),  # RTX 2080 Ti, 11 GB
        (10240, 8),
        (8192, 8),
        (7982, 8),  # an 8 GB card with reserved memory
        (6144, None),
        (4096, None),
        (0, None),
    ],
)
def test_vram_tiers(mib: int, tier: int | None) -> None:
    assert vram_tier(mib) == tier


def test_tier_labels() -> None:
    assert [tier_label(t) for t in (24, 16, 8, None)] == ["24 GB+", "16 GB", "8 GB", "below 8 GB"]


def test_gpu_result_names_card_vram_and_tier(fakes: Any) -> None:
    result = gpu_result(fakes.make_gpu())
    assert result.id == "gpu.0"
    assert result.status is CheckStatus.PASS
    assert result.summary == "NVIDIA GeForce RTX 4090, 24.0 GB VRAM, tier 24 GB+"
    assert result.details["vram_tier_gb"] == 24


def test_small_gpu_warns_too_little_vram(fakes: Any) -> None:
    result = gpu_result(fakes.make_gpu(name="NVIDIA GeForce GTX 1660", vram_mib=6144))
    assert result.status is CheckStatus.WARN
    assert "too little VRAM for most jobs" in result.summary


def test_one_result_per_gpu_in_index_order(fakes: Any) -> None:
    gpus = [fakes.make_gpu(1, name="B", vram_mib=8192), fakes.make_gpu(0, name="A")]
    results = check_gpus(fakes.make_context(gpus=gpus))
    assert [r.id for r in results] == ["gpu.0", "gpu.1"]
    assert [r.details["name"] for r in results] == ["A", "B"]
