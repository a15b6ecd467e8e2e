"""Whether this computer can earn when the wizard ends, and if not, what is missing.

The last page said "All set" on a machine with no GPU, where nothing could ever run. Now
it is "All set" only when nothing is missing: a usable NVIDIA GPU (the doctor's driver and
GPU checks) and at least one enrolled network (enrolled before this run or in it);
otherwise its title says so and it names each missing piece with its fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.model import CheckStatus
from desktop.views.text import commands_in, plain
from desktop.wizard.state import WizardState

_TECHNICAL_TAIL = re.compile(r"\s*\([^()]*\)\s*$")  # "(its NVML library was not found)"
GPU_CHECKS = ("driver", "gpu")  # the doctor's checks of a usable NVIDIA GPU
READY = "All set"
NOT_READY = "Not ready to earn yet"


@dataclass(frozen=True)
class Missing:
    """One thing this computer lacks to earn, with its fix in plain words.

    Attributes:
        demo: the demo shows meanwhile what RigPilot would do (no GPU here).
    """

    title: str
    text: str
    commands: tuple[str, ...] = ()
    demo: bool = False


def enrolled_names(state: WizardState) -> list[str]:
    """The networks enrolled on this computer: before this run, or by it."""
    names = []
    for option in state.networks:
        done = state.enrollment(option.id)
        if option.enrolled or (done is not None and done.ok):
            names.append(option.display_name)
    return names


def _gpu_missing(state: WizardState) -> Missing | None:
    failed = [c for c in state.checks if c.id in GPU_CHECKS and c.status is CheckStatus.FAIL]
    if not failed:
        return None
    first = failed[0]
    summary = _TECHNICAL_TAIL.sub("", plain(first.summary)).strip().rstrip(".")
    fix = plain(first.fix).strip()
    text = f"{summary[:1].upper()}{summary[1:]}." + (f" {fix}" if fix else "")
    return Missing("No usable NVIDIA GPU", text, tuple(commands_in(first.fix)), demo=True)


def missing_to_earn(state: WizardState) -> list[Missing]:
    """What stops this computer from earning, most basic first; empty when nothing does."""
    out = []
    gpu = _gpu_missing(state)
    if gpu is not None:
        out.append(gpu)
    if state.networks_loaded and not enrolled_names(state):
        out.append(
            Missing(
                "No network enrolled",
                "RigPilot works for the networks you enroll, and none is enrolled yet: "
                "choose one on the Networks page once this computer meets its requirements.",
            )
        )
    return out


def last_title(state: WizardState) -> str:
    return NOT_READY if missing_to_earn(state) else READY
