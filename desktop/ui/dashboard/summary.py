"""Fill the dashboard's cards from the snapshot (status + newest reading) and the networks.

Kept apart from the page so the wording of each card lives in one place, and every word
comes from ``desktop.views`` (the header, the tray and the CLI use the same functions).
A value may be missing (a network that does not report reputation, a driver without VRAM
temperature); each card then says so in words instead of showing a misleading zero.
"""

from __future__ import annotations

from desktop.ipc.schema_networks import NetworkRecord
from desktop.ui.dashboard.cards import CardRow
from desktop.views import money
from desktop.views.rig import enrolled, network_name
from desktop.views.snapshot import Snapshot
from desktop.views.states import Tone, gpu_words, network_words
from desktop.views.text import DASH, duration, percent, temp, watts


def fill_cards(
    cards: CardRow,
    snapshot: Snapshot,
    networks: list[NetworkRecord],
    gpu: int,
    now: float,
) -> None:
    status = snapshot.status
    reading = snapshot.reading(gpu)
    entry = snapshot.gpu(gpu)

    core = reading.core_temp_c if reading else None
    mem = reading.mem_temp_c if reading else None
    fan = reading.fan_pct if reading else None
    mem_note = f"VRAM {temp(mem)}" if mem is not None else "VRAM n/a"
    fan_note = f" · fan {percent(fan)}" if fan is not None else ""
    cards.set("temperature", temp(core), mem_note + fan_note)

    limit = entry.power.limit_w if entry else (reading.power_limit_w if reading else None)
    util = reading.gpu_util_pct if reading else None
    note = f"limit {watts(limit)}" if limit is not None else "limit not reported"
    if util is not None:
        note += f" · load {percent(util)}"
    cards.set("power", watts(reading.power_w if reading else None), note)

    if status is None:
        return
    gross, net = money.gross_and_net(status.earnings_today)
    spent = money.electricity(status.earnings_today)
    cards.set("today", gross, f"{spent} electricity · net {net}")

    running = status.jobs_running or 0
    state = gpu_words(entry, now) if entry else None
    owners = [network_name(n) for n in status.networks if n.gpus and n.held is None]
    if running:
        cards.set("jobs", str(running), ", ".join(owners) or (state.text if state else ""))
    else:
        cards.set("jobs", "0", state.text if state else "none right now")

    nets = enrolled(status)
    words = [network_words(n.state, n.enrolled, n.held, n.operation, now) for n in nets]
    if not nets:
        cards.set("network", "None", "set one up with: rigpilot enroll")
    elif len(nets) == 1:
        cards.set("network", words[0].text, network_name(nets[0]), words[0].detail)
    else:
        on = sum(1 for w in words if w.tone is Tone.GOOD)
        names = ", ".join(network_name(n) for n in nets)
        cards.set("network", f"{on} of {len(nets)} on", names)

    records = [r for r in networks if r.enrolled]
    scores = [(r, r.reputation.score) for r in records if r.reputation is not None]
    known = [(r, score) for r, score in scores if score is not None]
    if known:
        worst, score = min(known, key=lambda k: k[1])
        verified = " · verified" if worst.reputation and worst.reputation.verified else ""
        where = worst.display_name if len(known) == 1 else f"lowest: {worst.display_name}"
        cards.set("reputation", f"{score:.0f}/100", where + verified)
    else:
        cards.set("reputation", DASH, "not reported by the network")

    online = [r.uptime_pct for r in records if r.uptime_pct is not None]
    note = f"network online {min(online):.0f} %" if online else "worker running"
    cards.set("uptime", duration(status.uptime_s), note)
