"""Text for ``rigpilot status|pause|resume|events``: pure functions of the API's JSON.

Kept apart from the commands so the tables are tested without a worker. The leading
underscore keeps the CLI loader from treating this as a command module.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from desktop.cli._table import money, money_decimals

MORNING_HOUR = 6
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


def tomorrow_morning(now: float) -> float:
    """The next local ``MORNING_HOUR``:00 (today's if it is still night, else tomorrow's)."""
    moment = datetime.fromtimestamp(now)
    target = moment.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
    if target <= moment:
        target += timedelta(days=1)
    return target.timestamp()


def clock_text(ts: float | None, now: float | None = None) -> str:
    """``14:05`` today, ``Tue 06:00`` on another day."""
    if ts is None:
        return "-"
    moment = datetime.fromtimestamp(ts)
    today = datetime.fromtimestamp(now).date() if now is not None else datetime.now().date()
    return moment.strftime("%H:%M" if moment.date() == today else "%a %H:%M")


def duration_text(seconds: float) -> str:
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


def paused_text(paused: dict[str, Any], now: float | None = None) -> str:
    """One line for ``status.paused``: "no", "all work until 15:00 (gaming)", "GPU 1"."""
    parts: list[str] = []
    if paused.get("all"):
        text = "all work"
        if paused.get("until_ts"):
            text += f" until {clock_text(paused['until_ts'], now)}"
        if paused.get("reason"):
            text += f" ({paused['reason']})"
        parts.append(text)
    parts += [f"GPU {g}" for g in paused.get("gpus", [])]
    parts += [f"network {n}" for n in paused.get("networks", [])]
    return "; ".join(parts) if parts else "no"


def _num(value: Any, unit: str, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def gpu_state(gpu: dict[str, Any]) -> str:
    """A word for one GPU's state: paused, the guard's action, degraded, working or idle."""
    sample = gpu.get("sample")
    guard = gpu.get("guard") or {}
    if gpu.get("paused"):
        return "paused"
    if guard.get("action") not in (None, "run"):
        return str(guard["action"]).replace("_", " ")
    if sample is None:
        return "no data"
    if gpu.get("degraded"):
        return "degraded"
    util = sample.get("gpu_util_pct")
    return "working" if util is not None and util >= 5 else "idle"


def gpu_rows(gpus: list[dict[str, Any]]) -> list[list[str]]:
    rows = [["GPU", "NAME", "TEMP", "POWER/LIMIT", "UTIL", "FAN", "STATE"]]
    for gpu in gpus:
        info, sample = gpu["info"], gpu.get("sample") or {}
        temp = _num(sample.get("core_temp_c"), " °C")
        if sample.get("mem_temp_c") is not None:
            temp += f" (VRAM {sample['mem_temp_c']:.0f})"
        power = f"{_num(sample.get('power_w'), '')}/{_num(gpu.get('power_limit_w'), ' W')}"
        rows.append(
            [
                str(info["index"]),
                info["name"],
                temp,
                power,
                _num(sample.get("gpu_util_pct"), " %"),
                _num(sample.get("fan_pct"), " %"),
                gpu_state(gpu),
            ]
        )
    return rows


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def status_text(status: dict[str, Any], now: float | None = None) -> str:
    """The whole ``rigpilot status`` print-out."""
    lines = [
        f"RigPilot worker {status['version']} · pid {status['pid']} · "
        f"up {duration_text(status['uptime_s'])} · {status['mode']}"
    ]
    gpus = status.get("gpus") or []
    if gpus:
        lines.append("")
        lines.append(table(gpu_rows(gpus)))
    error = status.get("gpu_error")
    if error:
        lines.append("")
        lines.append(f"No GPU in use: {error['cause']}")
        if error.get("fix"):
            lines.append(f"  Fix: {error['fix']}")
    lines.append("")
    lines.append(f"Paused: {paused_text(status.get('paused') or {}, now)}")
    components = status.get("components") or {}
    networks = status.get("networks") or []
    if networks:
        summary = ", ".join(
            f"{n.get('display_name') or n.get('network')}: "
            + str(n.get("state") or "unknown").replace("_", " ")
            + (" (paused)" if n.get("paused") else "")
            for n in networks
        )
        lines.append(f"Networks: {summary}")
    elif components.get("networks"):
        lines.append("Networks: none enrolled (`rigpilot networks` lists them)")
    else:
        lines.append("Networks: not available in this worker yet")
    if status.get("jobs_running") is not None:
        lines.append(f"Jobs running: {status['jobs_running']}")
    today = status.get("earnings_today")
    if isinstance(today, dict) and today.get("net_usd") is not None:
        gross, net = today.get("gross_usd"), today["net_usd"]
        places = money_decimals([gross, net])
        lines.append(
            f"Earned today: {money(gross, decimals=places)} gross, "
            f"{money(net, decimals=places)} after electricity"
        )
    for warning in status.get("settings_warnings") or []:
        lines.append(f"Settings warning: {warning}")
    return "\n".join(lines)


def event_line(event: dict[str, Any]) -> str:
    when = datetime.fromtimestamp(float(event["ts"])).strftime("%Y-%m-%d %H:%M:%S")
    return f"{when}  {event['severity']:<8} {event['kind']:<18} {event['message']}"
