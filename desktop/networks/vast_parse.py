"""Pure readers of Vast.ai host answers, tolerant of anything unexpected.

Which fields are documented where (tests/data/vast/README.md has the details): the API
reference documents only ``id`` and ``name`` of a machine; vast-cli's own table of
``show machines`` and its tests add ``gpu_occupancy`` ("2/4": GPUs rented of all),
``listed_gpu_cost``, ``min_bid_price``, ``listed_inet_up_cost``, ``listed_inet_down_cost``,
``credit_discount_max``, ``reliability2`` and ``verification``. ``listed`` is not in
either [unconfirmed]: when a machine has no such flag, what RigPilot itself last did
(listed or unlisted) stands in. Earnings are documented (``show_earnings.yaml``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.model import Money, NodeState
from desktop.networks.records import NetworkJob, Reputation, StatusSnapshot

DAY_S = 86400
_OCCUPANCY = re.compile(r"\s*(\d{1,3})\s*/\s*(\d{1,3})\s*")
TERMS = {  # machine field -> create_asks body field (vast-cli list_machine)
    "listed_gpu_cost": "price_gpu",
    "min_bid_price": "price_min_bid",
    "listed_inet_up_cost": "price_inetu",
    "listed_inet_down_cost": "price_inetd",
    "listed_storage_cost": "price_disk",
    "credit_discount_max": "credit_discount_max",
}
UNLISTED_WHILE_RENTED = (
    "Unlisted, so no new rental starts; the rentals running now go on until their end "
    "dates (a Vast.ai rental cannot be taken back)."
)


def short(value: Any, limit: int = 40) -> str:
    text = "".join(ch for ch in str(value) if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def machines(doc: Any) -> list[dict[str, Any]] | None:
    """The machine objects of ``{machines: [...]}`` that have an integer id."""
    items = doc.get("machines") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return None
    return [m for m in items if isinstance(m, dict) and _id(m) is not None]


def _id(machine: dict[str, Any]) -> int | None:
    value = machine.get("id")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def machine_id(machine: dict[str, Any]) -> int:
    value = _id(machine)
    assert value is not None  # machines() keeps only those with one
    return value


def occupancy(value: Any) -> tuple[int, int] | None:
    """``"2/4"`` → (2, 4); None for anything else."""
    match = _OCCUPANCY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    rented, total = int(match[1]), int(match[2])
    return (rented, total) if 0 <= rented <= total else None


def machine_status(
    machine: dict[str, Any] | None, listed_by_us: bool | None, as_of: float
) -> StatusSnapshot:
    """One machine → the common state. ``listed_by_us``: what RigPilot last did (None:
    nothing yet), used where the machine carries no ``listed`` flag."""
    if machine is None:
        return StatusSnapshot(
            NodeState.UNKNOWN,
            "",
            as_of,
            message="Vast.ai's list of your machines does not have this machine any more",
        )
    node = str(machine_id(machine))
    extra: dict[str, Any] = {
        k: machine[k] for k in ("gpu_name", "num_gpus", "hostname") if k in machine
    }
    occupied = occupancy(machine.get("gpu_occupancy"))
    if occupied is None:
        seen = machine.get("gpu_occupancy")
        what = "no GPU occupancy" if seen is None else f"a GPU occupancy of {short(seen)!r}"
        return StatusSnapshot(
            NodeState.UNKNOWN,
            "",
            as_of,
            node,
            f"Vast.ai reports {what}, which RigPilot cannot read",
            extra,
        )
    rented, total = occupied
    flag = machine.get("listed")
    listed = flag if isinstance(flag, bool) else listed_by_us
    native = f"{rented} of {total} GPUs rented"
    if rented:
        note = UNLISTED_WHILE_RENTED if listed is False else ""
        return StatusSnapshot(NodeState.BUSY, native, as_of, node, note, extra)
    if listed is False:
        if listed_by_us is False:
            return StatusSnapshot(NodeState.PAUSED, "unlisted", as_of, node, "Unlisted.", extra)
        return StatusSnapshot(
            NodeState.OFFLINE,
            "unlisted",
            as_of,
            node,
            "The machine is not listed on Vast.ai, so no rental can start: list it (Resume "
            "here, or `vastai list machine`).",
            extra,
        )
    return StatusSnapshot(NodeState.IDLE, native, as_of, node, "", extra)


def listing_terms(machine: dict[str, Any]) -> dict[str, float]:
    """The listing's prices as ``create_asks`` takes them (empty without a GPU price)."""
    terms = {body: number(machine.get(field)) for field, body in TERMS.items()}
    kept = {k: v for k, v in terms.items() if v is not None}
    return kept if kept.get("price_gpu", 0) > 0 else {}


def reputation(machine: dict[str, Any] | None) -> Reputation | None:
    if machine is None:
        return None
    reliability = number(machine.get("reliability2"))
    verification = machine.get("verification")
    if reliability is None and not isinstance(verification, str):
        return None
    return Reputation(
        uptime_pct=None,
        verified=verification == "verified" if isinstance(verification, str) else None,
        score=None if reliability is None else round(reliability * 100, 2),
        details={"reliability2": reliability, "verification": verification, "source": "vast"},
    )


def _usd(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return Decimal(0)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() else Decimal(0)


def day_total(row: dict[str, Any]) -> Decimal:
    keys = ("gpu_earn", "sto_earn", "bwu_earn", "bwd_earn")
    return sum((_usd(row.get(k)) for k in keys), start=Decimal(0))


def days(doc: Any) -> dict[int, Decimal]:
    """``per_day`` → {day since the epoch: USD earned that day}."""
    rows = doc.get("per_day") if isinstance(doc, dict) else None
    out: dict[int, Decimal] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("day"), int):
            out[row["day"]] = out.get(row["day"], Decimal(0)) + day_total(row)
    return out


def total(doc: Any) -> Decimal | None:
    """``summary``'s GPU, storage and bandwidth earnings together (None without it)."""
    summary = doc.get("summary") if isinstance(doc, dict) else None
    if not isinstance(summary, dict):
        return None
    keys = ("total_gpu", "total_stor", "total_bwu", "total_bwd")
    return sum((_usd(summary.get(k)) for k in keys), start=Decimal(0))


def balance(doc: Any) -> Decimal | None:
    current = doc.get("current") if isinstance(doc, dict) else None
    value = current.get("balance") if isinstance(current, dict) else None
    return None if number(value) is None else _usd(value)


def date_of(day: int) -> str:
    return dt.datetime.fromtimestamp(day * DAY_S, dt.UTC).date().isoformat()


def finished_days(per_day: dict[int, Decimal], today: int) -> list[NetworkJob]:
    """Each finished day's earnings as one paid "job" (a day still running is left for
    later: its pay is recorded once, when the day is over)."""
    return [
        NetworkJob(
            f"day-{day}",
            "COMPLETED",
            float(day * DAY_S),
            float((day + 1) * DAY_S),
            Money(amount, "USD", amount),
            extra={"date": date_of(day)},
        )
        for day, amount in sorted(per_day.items())
        if day < today and amount > 0
    ]
