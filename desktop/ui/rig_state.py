"""One sentence about the whole rig, from the worker's status: the status strip and tray speak it.

Qt-free and pure so that the wording is unit-tested: a gamer should read "Hot: power limit
lowered to 220 W (GPU at 82 °C)", never "guard.action=throttle". Priority, most urgent first:
hot (the guard acted on heat) > error (something needs the user, with the fix) > paused
(by the user, a game or the schedule, and until when) > earning > idle.
"""

from __future__ import annotations

import enum
import re
import time
from dataclasses import dataclass
from typing import Any

from desktop.ui import text

HOT_ACTIONS = {"throttle", "pause", "stop", "stop_for_day", "emergency"}


class RigState(enum.StrEnum):
    """The five states the tray icon draws, each with its own shape."""

    EARNING = "earning"
    PAUSED = "paused"
    HOT = "hot"
    ERROR = "error"
    IDLE = "idle"


@dataclass(frozen=True)
class Headline:
    """What the status strip shows: the state, one sentence, and optional detail for a tooltip."""

    state: RigState
    text: str
    detail: str = ""


def network_list(status: dict[str, Any]) -> list[dict[str, Any]]:
    """``status.networks`` as a list of network dicts (the API may send a list or an id map)."""
    raw = status.get("networks") or []
    if isinstance(raw, dict):
        return [
            dict(v, network=k) if isinstance(v, dict) else {"network": k} for k, v in raw.items()
        ]
    return [n for n in raw if isinstance(n, dict)]


def network_name(net: dict[str, Any]) -> str:
    return str(net.get("display_name") or net.get("network") or "a network")


def hottest_temp(status: dict[str, Any]) -> float | None:
    temps = [text.num((g.get("sample") or {}).get("core_temp_c")) for g in status.get("gpus") or []]
    known = [t for t in temps if t is not None]
    return max(known) if known else None


def _watts_in(reason: str) -> float | None:
    """The limit the guard named ("... lowered to 220 W ..."), until status carries it."""
    found = re.search(r"(\d+(?:\.\d+)?) W\b", reason)
    return float(found.group(1)) if found else None


def _hot(gpu: dict[str, Any]) -> Headline | None:
    guard = gpu.get("guard") or {}
    action = str(guard.get("action") or "run")
    if guard.get("source") != "thermal" or action not in HOT_ACTIONS:
        return None
    at = text.temp((gpu.get("sample") or {}).get("core_temp_c"))
    reason = str(guard.get("reason") or "")
    limit = text.num(guard.get("power_limit_w")) or _watts_in(reason)
    limit = limit or text.num(gpu.get("power_limit_w"))
    if action == "throttle":
        what = f"power limit lowered to {text.watts(limit)}" if limit else "work slowed down"
        return Headline(RigState.HOT, f"Hot: {what} (GPU at {at})", reason)
    sentences = {
        "pause": f"Hot: work paused so the GPU can cool down (GPU at {at})",
        "stop": f"Hot: work stopped so the GPU can cool down (GPU at {at})",
        "stop_for_day": f"Hot: stopped for today after overheating again (GPU at {at})",
        "emergency": f"Hot: job stopped at {at}. Check the fans, then press Resume",
    }
    return Headline(RigState.HOT, sentences[action], reason)


def _error(status: dict[str, Any], last_error: dict[str, Any] | None) -> Headline | None:
    gpu_error = status.get("gpu_error")
    if isinstance(gpu_error, dict):
        cause = str(gpu_error.get("cause") or "RigPilot cannot read the GPU")
        fix = str(gpu_error.get("fix") or "")
        return Headline(RigState.ERROR, f"Error: {cause}" + (f" — {fix}" if fix else ""))
    for gpu in status.get("gpus") or []:
        if gpu.get("degraded"):
            name = (gpu.get("info") or {}).get("name") or f"GPU {gpu.get('index', '')}"
            reason = (gpu.get("guard") or {}).get("reason") or "its sensors stopped answering"
            return Headline(RigState.ERROR, f"Error: {name}: {reason}")
    for net in network_list(status):
        if net.get("state") == "error":
            message = net.get("message") or f"{network_name(net)} reported an error"
            fix = net.get("next_step") or ""
            return Headline(RigState.ERROR, f"Error: {message}" + (f" — {fix}" if fix else ""))
    if last_error:
        fix = (last_error.get("data") or {}).get("fix") or ""
        message = str(last_error.get("message") or "the worker reported an error")
        return Headline(RigState.ERROR, f"Error: {message}" + (f" — {fix}" if fix else ""))
    return None


def _paused(status: dict[str, Any], now: float) -> Headline | None:
    paused = status.get("paused") or {}
    if paused.get("all"):
        until = text.num(paused.get("until_ts"))
        reason = str(paused.get("reason") or "")
        who = (
            "Paused by you" if reason in ("", "user", "tray", "cli", "app") else f"Paused: {reason}"
        )
        if until and until > now:
            return Headline(RigState.PAUSED, f"{who} until {text.clock(until, now)}")
        return Headline(RigState.PAUSED, who)
    for gpu in status.get("gpus") or []:
        guard = gpu.get("guard") or {}
        action = guard.get("action") or "run"
        if action == "run" or guard.get("source") == "thermal":
            continue
        reason = str(guard.get("reason") or "")
        source = str(guard.get("source") or "")
        # The guard's reason is a whole sentence ("cs2 is running: ..."): it goes on the
        # detail line, under a headline short enough for the tray menu.
        if source == "activity":
            return Headline(RigState.PAUSED, "Paused while you use the GPU", reason)
        if source.startswith("user"):
            return Headline(RigState.PAUSED, "Paused by you", reason)
        if source == "schedule":
            return Headline(RigState.PAUSED, "Paused by your schedule", reason)
        return Headline(RigState.PAUSED, "Paused", reason or str(action))
    nets = [n for n in network_list(status) if n.get("enrolled", True)]
    if nets and all(n.get("paused") or n.get("state") == "paused" for n in nets):
        return Headline(RigState.PAUSED, "Paused: every network is switched off")
    return None


def describe(
    status: dict[str, Any] | None,
    *,
    connected: bool,
    starting: bool = False,
    last_error: dict[str, Any] | None = None,
    now: float | None = None,
) -> Headline:
    """The headline for the rig. ``last_error`` is a recent error event (JSON) still in force."""
    now = time.time() if now is None else now
    if not connected or status is None:
        if starting:
            return Headline(RigState.IDLE, "Starting the RigPilot worker…")
        return Headline(
            RigState.ERROR,
            "Error: the RigPilot worker is not running — press Start worker, "
            "or run: rigpilot worker --detach",
        )
    for gpu in status.get("gpus") or []:
        hot = _hot(gpu)
        if hot:
            return hot
    error = _error(status, last_error)
    if error:
        return error
    paused = _paused(status, now)
    if paused:
        return paused
    t = hottest_temp(status)
    at = f" · {text.temp(t)}" if t is not None else ""
    nets = [n for n in network_list(status) if n.get("enrolled", True)]
    busy = [network_name(n) for n in nets if n.get("state") == "busy"]
    if busy or int(status.get("jobs_running") or 0) > 0:
        busy = busy or [network_name(n) for n in nets if not n.get("paused")]
        names = " and ".join(busy) if busy else "your networks"
        return Headline(RigState.EARNING, f"Earning on {names}{at}")
    if nets:
        names = " and ".join(network_name(n) for n in nets)
        return Headline(RigState.IDLE, f"Ready: waiting for work from {names}{at}")
    return Headline(RigState.IDLE, f"Idle: no network set up yet{at}")
