"""Text for ``rigpilot status|pause|resume|events``: pure functions of the typed answers.

Every word about the rig (the headline, a GPU's state, a network's state, money) comes
from ``desktop.views``, the same functions the app uses, so the terminal and the window
say the same thing. Kept apart from the commands so the tables are tested without a
worker; the leading underscore keeps the CLI loader from treating this as a command.
"""

from __future__ import annotations

import re
from datetime import datetime

from desktop.ipc.schema import GpuStatus, StatusAnswer
from desktop.model import Event, Hold
from desktop.views import money
from desktop.views.rig import describe
from desktop.views.snapshot import Snapshot
from desktop.views.states import gpu_words, network_words
from desktop.views.text import DASH, clock, percent, temp, watts

_DURATION = re.compile(r"(?:([0-9]{1,9})d)?(?:([0-9]{1,9})h)?(?:([0-9]{1,9})m)?(?:([0-9]{1,9})s)?")
MAX_DURATION_S = 366 * 86400


def parse_duration(text: str) -> float:
    """``30m``, ``1h``, ``1h30m``, ``2d``, ``90s`` → seconds; ValueError with the fix."""
    match = _DURATION.fullmatch(text.strip().lower())  # ASCII digits only: "٣h" is refused
    if not text.strip() or match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write it like 30m, 1h, 1h30m or 2d")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = days * 86400 + hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ValueError("a pause needs a duration longer than zero, e.g. 30m")
    if total > MAX_DURATION_S:
        raise ValueError("a timed pause can last at most a year")
    return float(total)


def duration_text(seconds: float) -> str:
    """``2d 4h``, ``1h 05m``, ``3m 09s``, ``12s``: an uptime or a job's run time."""
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def target_text(gpu: int | None, network: str | None) -> str:
    if gpu is not None:
        return f"GPU {gpu}"
    if network is not None:
        return f"network {network}"
    return "all work"


def holds_text(holds: list[Hold], now: float) -> str:
    """One line for the user's holds: "no", "all work until 15:00 (gaming); GPU 1"."""
    parts = []
    for hold in holds:
        text = target_text(hold.gpu if hold.scope == "gpu" else None, hold.network)
        if hold.until is not None:
            text += f" until {clock(hold.until, now)}"
        if hold.reason:
            text += f" ({hold.reason})"
        parts.append(text)
    return "; ".join(parts) if parts else "no"


def gpu_rows(gpus: list[GpuStatus], snapshot: Snapshot, now: float) -> list[list[str]]:
    rows = [["GPU", "NAME", "TEMP", "POWER/LIMIT", "UTIL", "FAN", "STATE"]]
    for gpu in gpus:
        reading = snapshot.reading(gpu.index)
        core = reading.core_temp_c if reading else None
        shown = temp(core)
        if reading is not None and reading.mem_temp_c is not None:
            shown += f" (VRAM {reading.mem_temp_c:.0f})"
        power = reading.power_w if reading else None
        draw = DASH if power is None else f"{power:.0f}"
        rows.append(
            [
                str(gpu.index),
                gpu.info.name,
                shown,
                f"{draw}/{watts(gpu.power.limit_w)}",
                percent(reading.gpu_util_pct if reading else None),
                percent(reading.fan_pct if reading else None),
                gpu_words(gpu, now).text,
            ]
        )
    return rows


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def status_text(status: StatusAnswer, now: float) -> str:
    """The whole ``rigpilot status`` print-out: the app's headline, then the details."""
    snapshot = Snapshot()
    snapshot.set_status(status)
    headline = describe(snapshot, connected=True, now=now)
    lines = [
        f"RigPilot worker {status.version} · pid {status.pid} · "
        f"up {duration_text(status.uptime_s)} · {status.mode}",
        headline.text,
    ]
    if headline.detail:
        lines.append(f"  {headline.detail}")
    if status.gpus:
        lines += ["", table(gpu_rows(status.gpus, snapshot, now))]
    if status.gpu_error is not None:
        lines += ["", f"No GPU in use: {status.gpu_error.cause}"]
        if status.gpu_error.fix:
            lines.append(f"  Fix: {status.gpu_error.fix}")
    lines += ["", f"Paused: {holds_text(status.user_holds, now)}"]
    enrolled = [n for n in status.networks if n.enrolled or n.operation is not None]
    if enrolled:
        summary = ", ".join(
            f"{n.display_name or n.network}: "
            + network_words(n.state, n.enrolled, n.held, n.operation, now).text
            for n in enrolled
        )
        lines.append(f"Networks: {summary}")
    elif status.components.networks:
        lines.append("Networks: none enrolled (`rigpilot networks` lists them)")
    else:
        lines.append("Networks: not available in this worker yet")
    if status.jobs_running is not None:
        lines.append(f"Jobs running: {status.jobs_running}")
    if status.earnings_today is not None:
        lines.append(f"Earned today: {money.today_line(status.earnings_today)}")
    for problem in status.problems:
        fix = f" Fix: {problem.fix}" if problem.fix else ""
        lines.append(f"Problem: {problem.message}{fix}")
    for warning in status.settings_warnings:
        lines.append(f"Settings warning: {warning}")
    return "\n".join(lines)


def event_line(event: Event) -> str:
    when = datetime.fromtimestamp(event.ts).strftime("%Y-%m-%d %H:%M:%S")
    return f"{when}  {event.severity:<8} {event.kind:<18} {event.message}"
