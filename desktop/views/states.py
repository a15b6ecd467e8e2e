"""The words for a GPU's state and a network's state: one word per state, everywhere.

A GPU is "Working" when its owner's job runs and a network is "Working" when it is busy;
"Waiting for work" is the same idle word for both. A paused GPU is named by the hold that
decides first ("Paused by you", "Paused: too hot", "Paused: you are using the GPU"), and a
network the user holds is "Paused" whatever its agent last said.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from desktop.ipc.schema import GpuStatus, Operation, OperationState
from desktop.model import GpuState, GuardAction, Hold, HoldKind, NodeState
from desktop.views.text import clock

WORKING = "Working"
WAITING = "Waiting for work"
PAUSED = "Paused"
GENERIC_REASONS = {"", "user", "tray", "cli", "app"}


class Tone(enum.StrEnum):
    """How a state feels, for colour: fine, needs a look, wrong, or not in play."""

    GOOD = "good"
    WARN = "warn"
    BAD = "bad"
    OFF = "off"


@dataclass(frozen=True)
class Words:
    text: str
    tone: Tone
    detail: str = ""


def hold_words(hold: Hold, now: float) -> str:
    """What a hold does, in a few words: "Paused by you until 21:00", "Paused: too hot"."""
    if hold.kind is HoldKind.USER:
        text = "Paused by you"
        if hold.until is not None:
            text += f" until {clock(hold.until, now)}"
        if hold.reason.strip().lower() not in GENERIC_REASONS:
            text += f" ({hold.reason.strip()})"
        return text
    if hold.kind is HoldKind.THERMAL:
        if hold.action is GuardAction.STOP_FOR_DAY:
            return "Stopped for today: too hot"
        return "Paused: too hot"
    if hold.kind is HoldKind.GAME:
        return "Paused: you are using the GPU"
    if hold.kind is HoldKind.SCHEDULE:
        return "Paused: outside your schedule"
    return "Stopped for safety"


def gpu_words(gpu: GpuStatus, now: float) -> Words:
    """One GPU's state in words, from its ``state`` and the hold that decides first."""
    state = gpu.state
    if state is GpuState.WORKING:
        return Words(WORKING, Tone.GOOD, f"for {gpu.owner}" if gpu.owner else "")
    if state is GpuState.WAITING:
        return Words(WAITING, Tone.GOOD)
    if state is GpuState.PAUSED and gpu.holds:
        return Words(hold_words(gpu.holds[0], now), Tone.WARN, gpu.holds[0].reason)
    if state is GpuState.PAUSED:
        return Words(PAUSED, Tone.WARN)
    if state is GpuState.EMERGENCY:
        reason = gpu.holds[0].reason if gpu.holds else ""
        return Words("Stopped for safety", Tone.BAD, reason)
    if state is GpuState.UNUSED:
        return Words("Not in use", Tone.OFF, "no network may use it now")
    return Words("Lost", Tone.BAD, "the GPU stopped answering")


NETWORK_WORDS: dict[NodeState, tuple[str, Tone]] = {
    NodeState.NOT_INSTALLED: ("Not installed", Tone.OFF),
    NodeState.NOT_ENROLLED: ("Not enrolled", Tone.OFF),
    NodeState.PENDING_APPROVAL: ("Waiting for approval", Tone.WARN),
    NodeState.OFFLINE: ("Offline", Tone.BAD),
    NodeState.STARTING: ("Starting", Tone.WARN),
    NodeState.BENCHMARKING: ("Benchmarking", Tone.WARN),
    NodeState.IDLE: (WAITING, Tone.GOOD),
    NodeState.BUSY: (WORKING, Tone.GOOD),
    NodeState.PAUSED: (PAUSED, Tone.WARN),
    NodeState.STOPPING: ("Stopping", Tone.WARN),
    NodeState.BLOCKED: ("Blocked", Tone.BAD),
    NodeState.ERROR: ("Error", Tone.BAD),
    NodeState.UNKNOWN: ("Unknown", Tone.OFF),
}


def network_words(
    state: NodeState,
    enrolled: bool,
    held: Hold | None,
    operation: Operation | None,
    now: float,
) -> Words:
    """A network's state in words; the user's hold wins over what its agent last said
    ("Pausing" while a graceful stop still runs)."""
    running = operation is not None and operation.state is OperationState.RUNNING
    if enrolled and held is not None:
        detail = hold_words(held, now)
        if held.scope == "all":
            detail = detail.replace("Paused by you", "All work is paused by you", 1)
        return Words("Pausing" if running else PAUSED, Tone.WARN, detail)
    text, tone = NETWORK_WORDS[state]
    return Words(text, tone, operation.message if running and operation else "")
