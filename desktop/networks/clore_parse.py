"""Pure readers of Clore.ai answers (docs.clore.ai/for-hosts/api), tolerant of surprises.

Why apart: what a user is told about their rig and money is decided here, tested on
recorded answers (tests/data/clore/) without a server. Nothing raises: a missing field or
a value never seen is "unknown" with the reason.

``server_config.config.rental_status`` is documented as 0 not rented, 1 rented on the spot
market, 2 rented on demand; ``connected`` says whether the hosting software ever connected,
``online`` whether it is connected now. Wallet names seen: ``CLORE-Blockchain``,
``bitcoin``, ``USD-Blockchain`` (the official SDK's models).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.model import Money, NodeState
from desktop.networks.records import StatusSnapshot

RENTALS = {0: "not rented", 1: "rented on the spot market", 2: "rented on demand"}
WALLET_UNITS = {"CLORE-Blockchain": "CLORE", "bitcoin": "BTC", "USD-Blockchain": "USD"}
PAUSED_WHILE_RENTED = (
    "Availability is off, so no new rental starts; the rental running now goes on until it "
    "ends (RigPilot cannot end a Clore.ai rental)."
)


def short(value: Any, limit: int = 40) -> str:
    text = "".join(ch for ch in str(value) if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def server_names(doc: Any) -> list[str] | None:
    """The names in ``my_servers``; None when the answer has no server list."""
    servers = doc.get("servers") if isinstance(doc, dict) else None
    if not isinstance(servers, list):
        return None
    return [s["name"] for s in servers if isinstance(s, dict) and isinstance(s.get("name"), str)]


def rig_status(doc: Any, available: bool | None, as_of: float) -> StatusSnapshot:
    """``server_config`` → the common state. ``available`` is the availability RigPilot
    last set (None: it never set one): off means paused, or "no new rentals" while rented."""
    config = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(config, dict):
        return StatusSnapshot(
            NodeState.UNKNOWN, "", as_of, message="Clore.ai's server_config has no config"
        )
    node = str(config["id"]) if isinstance(config.get("id"), int) else config.get("name")
    node_id = node if isinstance(node, str) else None
    extra = {k: config[k] for k in ("visibility", "mrl", "initialized") if k in config}
    connected, online = config.get("connected"), config.get("online")
    if connected is False:
        return StatusSnapshot(
            NodeState.NOT_INSTALLED,
            "never connected",
            as_of,
            node_id,
            "The Clore.ai hosting software has never connected from this server: install it "
            "on the rig with the server's init token (clore.ai → My servers).",
            extra,
        )
    if not isinstance(online, bool):
        return StatusSnapshot(
            NodeState.UNKNOWN, "", as_of, node_id, "Clore.ai did not say whether it is online"
        )
    if not online:
        return StatusSnapshot(
            NodeState.OFFLINE,
            "offline",
            as_of,
            node_id,
            "Clore.ai sees the rig offline: is it running, and its hosting service "
            "(clore-hosting) started?",
            extra,
        )
    rental = config.get("rental_status")
    if isinstance(rental, bool) or not isinstance(rental, int) or rental not in RENTALS:
        word = "no rental status" if rental is None else f"rental status {short(rental)!r}"
        return StatusSnapshot(
            NodeState.UNKNOWN,
            short(rental) if rental is not None else "",
            as_of,
            node_id,
            f"Clore.ai reports {word}, which RigPilot does not know",
            extra,
        )
    native = RENTALS[rental]
    if rental == 0:
        if available is False:
            return StatusSnapshot(
                NodeState.PAUSED, native, as_of, node_id, "Availability is off.", extra
            )
        return StatusSnapshot(NodeState.IDLE, native, as_of, node_id, "", extra)
    note = PAUSED_WHILE_RENTED if available is False else ""
    return StatusSnapshot(NodeState.BUSY, native, as_of, node_id, note, extra)


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def wallet_balances(doc: Any) -> list[Money]:
    """``wallets`` → one Money per known wallet with a balance, in its own unit."""
    wallets = doc.get("wallets") if isinstance(doc, dict) else None
    out = []
    for wallet in wallets if isinstance(wallets, list) else []:
        if not isinstance(wallet, dict):
            continue
        name = wallet.get("name")
        unit = WALLET_UNITS.get(name) if isinstance(name, str) else None
        amount = _amount(wallet.get("balance"))
        if unit is not None and amount is not None:
            usd = amount if unit == "USD" else None
            out.append(Money(amount, unit, usd))
    return out
