from __future__ import annotations

import dataclasses

import pytest

from desktop.model import CheckStatus
from desktop.networks.base import HostFacts
from desktop.networks.nosana_requirements import check_requirements, gpu_supported

GOOD = HostFacts(
    os="linux",
    is_wsl=False,
    ram_gb=31.2,
    free_disk_gb=400,
    docker_ok=True,
    toolkit_ok=True,
    gpu_names=("NVIDIA GeForce RTX 4090",),
)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("NVIDIA GeForce RTX 3060", True),
        ("NVIDIA GeForce RTX 3060 Ti", True),
        ("NVIDIA GeForce RTX 5090", True),
        ("NVIDIA GeForce RTX 4070 SUPER", True),
        ("NVIDIA GeForce RTX 3050", False),
        ("NVIDIA GeForce RTX 2080 Ti", False),
        ("NVIDIA GeForce GTX 1080", False),
        ("NVIDIA RTX A4000", True),
        ("NVIDIA RTX A6000", True),
        ("NVIDIA RTX A2000", False),
        ("NVIDIA A40", True),
        ("NVIDIA A100-SXM4-80GB", True),
        ("NVIDIA H100 PCIe", True),
        ("NVIDIA L4", False),
    ],
)
def test_supported_gpu_list(name: str, ok: bool) -> None:
    assert gpu_supported(name) is ok


def failing(facts: HostFacts) -> set[str]:
    return {c.id for c in check_requirements(facts) if c.status is CheckStatus.FAIL}


def test_a_good_host_passes_everything() -> None:
    results = check_requirements(GOOD)
    assert failing(GOOD) == set() and all(r.fix == "" for r in results)


@pytest.mark.parametrize(
    ("change", "check_id"),
    [
        ({"is_wsl": True}, "nosana.native_linux"),
        ({"os": "windows"}, "nosana.native_linux"),
        ({"docker_ok": False}, "nosana.docker"),
        ({"toolkit_ok": False}, "nosana.toolkit"),
        ({"ram_gb": 8.0}, "nosana.ram"),
        ({"free_disk_gb": 24.0}, "nosana.disk"),
        ({"gpu_names": ("NVIDIA GeForce GTX 1660",)}, "nosana.gpu"),
        ({"gpu_names": ()}, "nosana.gpu"),
    ],
)
def test_each_unmet_requirement_fails_with_a_fix(change: dict[str, object], check_id: str) -> None:
    facts = dataclasses.replace(GOOD, **change)  # type: ignore[arg-type]
    assert failing(facts) == {check_id}
    result = next(c for c in check_requirements(facts) if c.id == check_id)
    assert result.fix


def test_ram_reported_a_little_under_12_gb_still_counts() -> None:
    assert failing(dataclasses.replace(GOOD, ram_gb=11.6)) == set()
