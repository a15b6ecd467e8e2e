"""The wizard's last page says "All set" only on a computer that can earn (issue 18)."""

from __future__ import annotations

import dataclasses

from desktop.model import CheckResult, CheckStatus
from desktop.wizard import flow, readiness
from desktop.wizard.state import Enrollment, NetworkOption, Step, WizardState

DRIVER_MISSING = CheckResult(
    "driver",
    "NVIDIA driver",
    CheckStatus.FAIL,
    "NVIDIA driver not usable: the NVIDIA driver is not installed (its NVML library was not found)",
    "Install the NVIDIA driver for your card (Ubuntu: `sudo ubuntu-drivers install`), then "
    "restart the computer.",
)
GPU_FINE = [
    CheckResult("driver", "NVIDIA driver", CheckStatus.PASS, "550.54", ""),
    CheckResult("gpu", "GPUs", CheckStatus.PASS, "RTX 3080", ""),
]
PRACTICE = NetworkOption("demo", "Practice network")
NOSANA = NetworkOption("nosana", "Nosana")


def last_page(**kw: object) -> WizardState:
    base = WizardState(step=Step.DONE, networks=(PRACTICE, NOSANA), networks_loaded=True)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_no_gpu_and_no_network_are_both_named_with_the_fix() -> None:
    state = last_page(checks=(DRIVER_MISSING,))
    gpu, network = readiness.missing_to_earn(state)
    assert gpu.title == "No usable NVIDIA GPU" and gpu.demo
    assert gpu.text == (
        "NVIDIA driver not usable: the NVIDIA driver is not installed. Install the NVIDIA "
        "driver for your card (Ubuntu: sudo ubuntu-drivers install), then restart the computer."
    )
    assert gpu.commands == ("sudo ubuntu-drivers install",)
    assert network.title == "No network enrolled" and not network.demo
    assert flow.title(state) == "Not ready to earn yet"


def test_all_set_only_with_a_gpu_and_an_enrolled_network() -> None:
    enrolled_now = last_page(checks=tuple(GPU_FINE), enrollments=(Enrollment("nosana", True),))
    assert readiness.missing_to_earn(enrolled_now) == []
    assert flow.title(enrolled_now) == "All set"
    before = last_page(
        checks=tuple(GPU_FINE), networks=(dataclasses.replace(NOSANA, enrolled=True),)
    )
    assert readiness.enrolled_names(before) == ["Nosana"]  # enrolled before this run counts
    assert flow.title(before) == "All set"
    refused = last_page(checks=tuple(GPU_FINE), enrollments=(Enrollment("nosana", False),))
    assert [m.title for m in readiness.missing_to_earn(refused)] == ["No network enrolled"]


def test_with_a_gpu_but_no_network_only_the_network_is_missing() -> None:
    state = last_page(checks=tuple(GPU_FINE))
    assert [m.title for m in readiness.missing_to_earn(state)] == ["No network enrolled"]
