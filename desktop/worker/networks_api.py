"""The networks' routes: the supervisor's records as the typed answers of the API.

Why apart: the supervisor (desktop/worker/supervisor.py) speaks in its own records; the
API's shape (desktop/ipc/schema_networks.py) adds what only the worker's record knows,
the user's hold on each network, so the translation sits between the two, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from desktop.errors import Unavailable
from desktop.ipc.schema_networks import (
    EnrollRequest,
    NetworkAnswer,
    NetworkChange,
    NetworkRecord,
    NetworkRef,
    NetworksAnswer,
    OperationAnswer,
    OperationRef,
)
from desktop.model import Hold
from desktop.worker.ports import NetworksPort
from desktop.worker.user_holds import UserHolds

MONEY_KEYS = ("gross", "gross_now", "electricity", "net", "energy_kwh")


class NetworksApi:
    """``GET /networks``, enroll, remove and ``GET /operations/{id}`` over the supervisor."""

    def __init__(
        self,
        networks: Callable[[], NetworksPort | None],
        user: UserHolds,
        forget_hold: Callable[[str], None],
    ) -> None:
        self._networks, self.user, self.forget_hold = networks, user, forget_hold

    def port(self) -> NetworksPort:
        port = self._networks()
        if port is None:
            raise Unavailable("The networks service is not available in this worker yet")
        return port

    async def networks(self) -> NetworksAnswer:
        records = await self.port().list_networks()
        return NetworksAnswer(networks=[self.record(r) for r in records])

    async def network(self, request: NetworkRef) -> NetworkAnswer:
        return NetworkAnswer(network=self.record(await self.port().network_status(request.network)))

    async def enroll(self, request: EnrollRequest) -> NetworkChange:
        answer = await self.port().enroll(request.network, request.credentials)
        return self.change(answer)

    async def remove(self, request: NetworkRef) -> NetworkChange:
        answer = await self.port().act(request.network, "remove")
        self.forget_hold(request.network)  # a removed network takes its pause with it
        return self.change(answer)

    async def operation(self, request: OperationRef) -> OperationAnswer:
        return OperationAnswer(operation=self.port().operation(request.id))

    def record(self, raw: Mapping[str, Any]) -> NetworkRecord:
        """The supervisor's record with the user's hold; money it has no row for yet is
        zero (the supervisor fills in the currency)."""
        body = {k: v for k, v in raw.items() if k != "paused"}
        held: Hold | None = self.user.covering_network(str(raw["network"]))
        body["held"] = held if raw.get("enrolled") else None
        for key in ("earnings_today", "earnings_total"):
            money = dict(raw.get(key) or {})
            body[key] = {**{k: "0" for k in MONEY_KEYS}, "currency": "USD", **money}
        return msgspec.convert(body, NetworkRecord)

    def change(self, answer: Mapping[str, Any]) -> NetworkChange:
        return msgspec.convert(
            {
                "status": msgspec.to_builtins(self.record(answer["status"])),
                "action_required": answer.get("action_required"),
                "operation": answer.get("operation"),
            },
            NetworkChange,
        )
