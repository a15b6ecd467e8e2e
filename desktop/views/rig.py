"""One sentence about the whole rig: the window's header, the tray and ``rigpilot status``.

A gamer should read "Hot: power limit lowered to 220 W (GPU at 82 °C)", never
"guard.action=throttle". Priority, most urgent first: hot (the guard acted on heat) >
error (something needs the user, with the fix) > paused (every GPU is held: by the user,
a game or the schedule, and until when) > earning > idle. The temperature is the
snapshot's hottest reading, the very number the temperature card shows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from desktop.ipc.schema import GpuStatus, NetworkBrief, StatusAnswer
from desktop.model import Event, GpuState, HoldKind, NodeState
from desktop.views.notices import no_gpu
from desktop.views.snapshot import Snapshot
from desktop.views.states import hold_words
from desktop.views.text import temp, watts

HELD_STATES = (GpuState.PAUSED, GpuState.EMERGENCY)


class RigState(enum.StrEnum):
    """The five states the tray icon draws, each with its own shape."""

    EARNING = "earning"
    PAUSED = "paused"
    HOT = "hot"
    ERROR = "error"
    IDLE = "idle"


@dataclass(frozen=True)
class Headline:
    """The state, one sentence, and optional detail for a second line or a tooltip."""

    state: RigState
    text: str
    detail: str = ""


def network_name(brief: NetworkBrief) -> str:
    return brief.display_name or brief.network


def _owner_name(owner: str | None, names: dict[str, str]) -> str:
    if owner is None or owner == "local":
        return "your own jobs"
    return names.get(owner, owner)


def enrolled(status: StatusAnswer) -> list[NetworkBrief]:
    return [n for n in status.networks if n.enrolled]


def _hot(gpu: GpuStatus, at: str) -> Headline | None:
    thermal = gpu.thermal
    state = thermal.state if thermal is not None else "ok"
    reason = thermal.reason if thermal is not None else ""
    if state == "throttled":
        cap = gpu.power.cap_w
        what = f"power limit lowered to {watts(cap)}" if cap is not None else "work slowed down"
        return Headline(RigState.HOT, f"Hot: {what} (GPU at {at})", reason)
    sentences = {
        "paused": f"Hot: work paused so the GPU can cool down (GPU at {at})",
        "stopped_for_day": f"Hot: stopped for today after overheating again (GPU at {at})",
        "emergency": f"Hot: job stopped at {at}. Check the fans, then press Resume",
    }
    if state in sentences:
        return Headline(RigState.HOT, sentences[state], reason)
    return None


def _error(status: StatusAnswer, last_error: Event | None) -> Headline | None:
    def said(message: str, fix: str) -> Headline:
        return Headline(RigState.ERROR, f"Error: {message}" + (f" — {fix}" if fix else ""))

    missing = no_gpu(status)
    if missing is not None:  # the title, and the cause with its fix as the detail
        return Headline(RigState.ERROR, missing.title, missing.text)
    if status.gpu_error is not None:
        return said(status.gpu_error.cause, status.gpu_error.fix)
    for gpu in status.gpus:
        if gpu.state is GpuState.EMERGENCY:
            reason = gpu.holds[0].reason if gpu.holds else "it was stopped for safety"
            return said(f"{gpu.info.name} stopped: {reason}", "press Resume once it is fixed")
        if gpu.degraded:
            return said(f"{gpu.info.name}: its sensors answer slowly or not at all", "")
    for problem in status.problems:
        return said(problem.message, problem.fix)
    for net in enrolled(status):
        if net.state is NodeState.ERROR:
            return said(net.message or f"{network_name(net)} reported an error", net.next_step)
    if last_error is not None:
        return said(last_error.message, str(last_error.data.get("fix") or ""))
    return None


def _paused(status: StatusAnswer, now: float) -> Headline | None:
    gpus = status.gpus
    if gpus and all(g.state in HELD_STATES for g in gpus):
        first = gpus[0].holds[0] if gpus[0].holds else None
        if first is None:
            return Headline(RigState.PAUSED, "Paused")
        if first.kind is HoldKind.GAME:
            return Headline(RigState.PAUSED, "Paused while you use the GPU", first.reason)
        if first.kind is HoldKind.SCHEDULE:
            return Headline(RigState.PAUSED, "Paused by your schedule", first.reason)
        return Headline(RigState.PAUSED, hold_words(first, now))
    nets = enrolled(status)
    if (
        nets
        and all(n.held is not None for n in nets)
        and not any(g.state is GpuState.WORKING for g in gpus)
    ):
        return Headline(RigState.PAUSED, "Paused: every network is paused by you")
    return None


def describe(
    snapshot: Snapshot,
    *,
    connected: bool,
    now: float,
    starting: bool = False,
    last_error: Event | None = None,
    rig: str = "",
) -> Headline:
    """The headline for the rig. ``last_error`` is a recent error event still in force;
    ``rig`` is the remote rig shown (``user@host``), "" for this computer."""
    status = snapshot.status
    if (not connected or status is None) and rig:
        if starting:
            return Headline(RigState.IDLE, f"Connecting to {rig}…")
        return Headline(RigState.ERROR, f"Lost the connection to {rig}: reconnecting…")
    if not connected or status is None:
        if starting:
            return Headline(RigState.IDLE, "Starting the RigPilot worker…")
        return Headline(
            RigState.ERROR,
            "Error: the RigPilot worker is not running — press Start worker, "
            "or run: rigpilot worker --detach",
        )
    hottest = snapshot.hottest()
    for gpu in status.gpus:
        reading = snapshot.reading(gpu.index)
        hot = _hot(gpu, temp(reading.core_temp_c if reading else None))
        if hot:
            return hot
    error = _error(status, last_error)
    if error:
        return error
    at = f" · {temp(hottest)}" if hottest is not None else ""
    paused = _paused(status, now)
    if paused:
        return Headline(paused.state, paused.text + at, paused.detail)
    working = [g for g in status.gpus if g.state is GpuState.WORKING]
    names = {n.network: network_name(n) for n in status.networks}
    if working:
        owners = list(dict.fromkeys(_owner_name(g.owner, names) for g in working))
        return Headline(RigState.EARNING, f"Earning on {' and '.join(owners)}{at}")
    nets = enrolled(status)
    if nets:
        waiting = " and ".join(network_name(n) for n in nets)
        return Headline(RigState.IDLE, f"Ready: waiting for work from {waiting}{at}")
    return Headline(RigState.IDLE, f"Idle: no network set up yet{at}")
