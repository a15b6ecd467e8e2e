"""What the window says instead of a dashboard when there is nothing it could show.

Two cases, both met by newcomers: this computer has no usable NVIDIA GPU (no charts, no
work: say why in one sentence with the fix, and offer the demo), and the worker that
answers is a demo or simulated one, not this computer's (its GPU is not there: say so,
and offer to stop it so the real one can start). Qt-free, so the sentences are tested
without a display; the window only lays them out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.ipc.schema import Mode, StatusAnswer
from desktop.views.text import commands_in, plain

NO_GPU = "no_gpu"
OTHER_WORKER = "other_worker"
TRY_DEMO = "Try the demo"
STOP_OTHER = "Stop it and start RigPilot"
MODE_NAMES = {Mode.DEMO: "demo", Mode.SIMULATED: "simulated"}
_TECHNICAL_TAIL = re.compile(r"\s*\([^()]*\)\s*$")  # "(its NVML library was not found)"


@dataclass(frozen=True)
class Notice:
    """A notice in place of the dashboard.

    Attributes:
        key: NO_GPU or OTHER_WORKER (what the main button does).
        title: a few words, the notice's heading.
        text: one sentence: what is wrong and the fix, plain (no backticks).
        commands: the commands the fix quotes, for Copy buttons.
        action: the main button's label.
        more: a second, quieter sentence (what the button does).
    """

    key: str
    title: str
    text: str
    commands: tuple[str, ...] = ()
    action: str = ""
    more: str = ""


def _sentence(cause: str, fix: str) -> str:
    """ "Cause: fix." as one sentence (the fix's first letter lowered)."""
    cause = cause.strip().rstrip(".")
    fix = fix.strip()
    if not fix:
        return f"{cause}."
    fix = fix[0].lower() + fix[1:] if fix[:2] != fix[:2].upper() else fix
    return f"{cause}: {fix}" + ("" if fix.endswith((".", "!", "?")) else ".")


def no_gpu(status: StatusAnswer | None) -> Notice | None:
    """The no-GPU notice, when the worker of this computer has no GPU to work with.

    Only for a worker on real GPUs (``nvml``): a simulated one always has its GPUs.
    """
    if status is None or status.mode is not Mode.NVML or status.gpus:
        return None
    problem = status.gpu_error
    if problem is not None:
        cause = _TECHNICAL_TAIL.sub("", problem.cause) or problem.cause
        text = _sentence(cause[:1].upper() + cause[1:], problem.fix)
        commands = tuple(commands_in(problem.fix))
    else:
        text = (
            "The NVIDIA driver answers but reports no graphics card: RigPilot works with an "
            "NVIDIA GPU (GeForce GTX 10 series or newer), so plug one in or run RigPilot on "
            "the computer that has it."
        )
        commands = ()
    return Notice(
        NO_GPU,
        "No NVIDIA GPU found on this computer",
        plain(text),
        commands,
        TRY_DEMO,
        "Meanwhile, the demo shows what RigPilot does with a simulated GPU and a practice "
        "network: nothing to install, no account, and it stops when you close it.",
    )


def other_worker(status: StatusAnswer) -> Notice:
    """A demo or simulated worker answers where this computer's should."""
    kind = MODE_NAMES.get(status.mode, str(status.mode))
    return Notice(
        OTHER_WORKER,
        f"A {kind} RigPilot worker is running",
        f"RigPilot's {kind} worker (process {status.pid}) is running in this computer's "
        "place: it shows a simulated GPU, not yours. Stop it, and RigPilot starts the worker "
        "of your own GPU.",
        (),
        STOP_OTHER,
        "Stopping it ends its simulated work; nothing of yours is lost.",
    )
