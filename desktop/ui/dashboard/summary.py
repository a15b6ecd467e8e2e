"""Fill the dashboard's cards from the status, the networks and the live buffer.

Kept apart from the page so the wording of each card lives in one place; every value may
be missing (a network that does not report reputation, a driver without VRAM temperature),
and each card then says so in words instead of showing a misleading zero.
"""

from __future__ import annotations

from typing import Any

from desktop.ui import text
from desktop.ui.dashboard.cards import CardRow
from desktop.ui.dashboard.ring_buffer import RingBuffer
from desktop.ui.dashboard.series import today_money
from desktop.ui.rig_state import network_list, network_name

STATE_WORDS = {
    "busy": "Working",
    "idle": "Waiting",
    "paused": "Paused",
    "offline": "Offline",
    "starting": "Starting",
    "benchmarking": "Benchmarking",
    "pending_approval": "Awaiting approval",
    "not_enrolled": "Not set up",
    "not_installed": "Not installed",
    "blocked": "Blocked",
    "error": "Error",
    "stopping": "Stopping",
    "unknown": "Unknown",
}


def _fraction(value: Any) -> float | None:
    """A 0-1 or 0-100 score (or ``{"score": ...}``) as a percentage."""
    if isinstance(value, dict):
        value = value.get("score", value.get("value", value.get("pct")))
    v = text.num(value)
    if v is None:
        return None
    return v * 100 if v <= 1 else v


def _gpu_entry(status: dict[str, Any], gpu: int) -> dict[str, Any]:
    for i, entry in enumerate(status.get("gpus") or []):
        if int((entry.get("info") or {}).get("index", i)) == gpu:
            return dict(entry)
    return {}


def fill_cards(
    cards: CardRow,
    status: dict[str, Any],
    networks: list[dict[str, Any]],
    gpu: int,
    buffer: RingBuffer | None,
) -> None:
    entry = _gpu_entry(status, gpu)
    sample = entry.get("sample") or {}

    def latest(column: str, key: str) -> float | None:
        value = text.num(sample.get(key))
        if value is None and buffer is not None and len(buffer):
            value = buffer.last(column)
        return value

    core, mem = latest("core", "core_temp_c"), latest("mem", "mem_temp_c")
    fan = text.num(sample.get("fan_pct"))
    mem_note = f"VRAM {text.temp(mem)}" if mem is not None else "VRAM n/a"
    fan_note = f" · fan {text.percent(fan)}" if fan is not None else ""
    cards.set("temperature", text.temp(core), mem_note + fan_note)

    power = latest("power", "power_w")
    limit = text.num(entry.get("power_limit_w")) or latest("limit", "power_limit_w")
    util = text.num(sample.get("gpu_util_pct"))
    note = f"limit {text.watts(limit)}" if limit is not None else "limit not reported"
    if util is not None:
        note += f" · load {text.percent(util)}"
    cards.set("power", text.watts(power), note)

    gross, net = today_money(status)
    cards.set(
        "today",
        text.usd(gross if gross is not None else 0.0),
        f"net {text.usd(net)}" if net is not None else "gross, before electricity",
    )

    nets = networks or network_list(status)
    enrolled = [n for n in nets if n.get("enrolled", True) and n.get("state") != "not_enrolled"]
    running = int(status.get("jobs_running") or 0)
    busy = [network_name(n) for n in enrolled if n.get("state") == "busy"]
    if running and not busy:
        busy = [network_name(n) for n in enrolled if not n.get("paused")]
    cards.set("jobs", str(running), ", ".join(busy) if running else "none right now")

    if not enrolled:
        cards.set("network", "None", "set one up with: rigpilot enroll")
    elif len(enrolled) == 1:
        first = enrolled[0]
        state = STATE_WORDS.get(str(first.get("state")), str(first.get("state") or "Unknown"))
        cards.set("network", state, network_name(first), str(first.get("message") or ""))
    else:
        working = sum(1 for n in enrolled if n.get("state") in ("busy", "idle"))
        cards.set(
            "network",
            f"{working} of {len(enrolled)} on",
            ", ".join(network_name(n) for n in enrolled),
        )

    scores = [(n, _fraction(n.get("reputation"))) for n in enrolled]
    known = [(n, score) for n, score in scores if score is not None]
    if known:
        worst, score = min(known, key=lambda k: k[1])
        rep = worst.get("reputation")
        verified = " · verified" if isinstance(rep, dict) and rep.get("verified") else ""
        where = network_name(worst) if len(known) == 1 else f"lowest: {network_name(worst)}"
        cards.set("reputation", f"{score:.0f}/100", where + verified)
    else:
        cards.set("reputation", text.DASH, "not reported by the network")

    def uptime_of(net: dict[str, Any]) -> float | None:
        rep = net.get("reputation")
        if isinstance(rep, dict) and rep.get("uptime_pct") is not None:
            return _fraction(rep["uptime_pct"])
        return _fraction(net.get("uptime_pct"))

    online = [u for u in (uptime_of(n) for n in enrolled) if u is not None]
    note = f"network online {min(online):.0f} %" if online else "worker running"
    cards.set("uptime", text.duration(status.get("uptime_s")), note)
