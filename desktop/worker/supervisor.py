"""The network supervisor: enrolled networks run, crashed agents come back, history is kept.

Why in the worker: a network agent (the Nosana node container, the demo marketplace) must
run while the GUI is closed, be restarted when it crashes (with capped backoff, so a broken
agent is not restarted in a tight loop), and leave a status history from which uptime is
computed. The supervisor is asyncio; adapters and the ledger block, so they are called
through ``asyncio.to_thread``. Secrets go to the keyring (SecretStore) and only their field
names reach the ledger. It serves the worker's NetworksPort and EarningsPort
(desktop/worker/ports.py): ``list_networks``, ``summary``, ``enroll``, ``act``,
``earnings``, ``today`` and ``close``.

One clock: every network timestamp the supervisor records (status history, snapshots,
events, enrollments, pay, energy periods) is ``clock()``, the simulated clock in demo and
simulated modes, because uptime compares status rows with "now" and energy periods with
the samples' own (simulated) times. Adapters' own stamps are replaced by the time the
supervisor saw them, and an adapter that simulates time (the practice network, through
``use_clock``) is given this clock when the supervisor first meets it. When simulated
time runs fast, polls come closer in real time so that two status observations are never
more than ``max_state_gap_s`` simulated seconds apart (the ledger treats a longer gap as
time the network was not seen up).

The class is assembled from parts, each a module of its own: ``supervisor_base`` (state and
plumbing), ``supervisor_money`` (pay and earnings), ``supervisor_agents`` (start, poll,
restart with backoff), ``supervisor_views`` (summaries for the API); enrollment and the
user's actions are here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from desktop.ipc.protocol import ApiError
from desktop.model import NetworkPenalties
from desktop.networks.base import EnrollmentError, split_credentials
from desktop.secrets import KeyringUnavailable
from desktop.worker.supervisor_agents import SupervisorAgents
from desktop.worker.supervisor_base import (
    CRASHED_STATES,
    MAX_DAYS,
    MAX_STATE_GAP_S,
    MIN_POLL_S,
    STABLE_AFTER_S,
    UP_STATES,
    UPTIME_WINDOW_S,
    NetworkRuntime,
    SupervisorLedger,
)
from desktop.worker.supervisor_views import SupervisorViews

__all__ = [
    "CRASHED_STATES",
    "MAX_DAYS",
    "MAX_STATE_GAP_S",
    "MIN_POLL_S",
    "STABLE_AFTER_S",
    "UPTIME_WINDOW_S",
    "UP_STATES",
    "NetworkRuntime",
    "Supervisor",
    "SupervisorLedger",
]


class Supervisor(SupervisorAgents, SupervisorViews):
    """Owns every network adapter of the worker (see module docstring)."""

    # --- enrollment and control (NetworksPort) -------------------------------------------

    async def enroll(self, network: str, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """Validate, keep secrets in the keyring, enroll, record; start when nothing is left
        for the user to do. Answers ``{status, action_required}``; ApiError when refused."""
        adapter, rt = self.adapter(network), self.runtime(network)
        try:
            secret, plain = split_credentials(adapter, credentials, self.facts())
            if secret:
                await asyncio.to_thread(self.secrets.check)
                for name, value in secret.items():
                    await asyncio.to_thread(self.secrets.set, network, name, value)
            action = await asyncio.to_thread(adapter.enroll, {**plain, **secret})
        except (EnrollmentError, KeyringUnavailable) as exc:
            raise ApiError("invalid_request", str(exc), 422, getattr(exc, "field", None)) from None
        if rt.refused is not None:
            rt.refused, rt.last = None, None  # its ERROR snapshot told the old story
        rt.enrolled, rt.paused, rt.action = True, False, action
        rt.awaiting_action = action is not None
        rt.config = {
            "fields": plain,
            "keyring_fields": sorted(secret),
            "awaiting_action": rt.awaiting_action,
        }
        await self._save(network)
        self._emit("network.enrolled", f"{adapter.display_name} enrolled", network)
        if rt.wanted and not rt.started:
            await self._start_network(network, restart=False)
        return {
            "status": await self.network_status(network),
            "action_required": None if action is None else action.to_json(),
        }

    async def act(self, network: str, action: str) -> dict[str, Any]:
        adapter, rt = self.adapter(network), self.runtime(network)
        if not rt.enrolled:
            raise ApiError(
                "conflict",
                f"{adapter.display_name} is not enrolled; enroll it "
                f"first (rigpilot enroll {network}).",
                409,
            )
        if action == "pause":
            rt.paused = True
            await self._save(network)
            ok = await asyncio.to_thread(adapter.pause)
            note = "" if ok else " (it cannot pause; it was stopped)"
            self._emit("network.paused", f"{adapter.display_name} paused{note}", network)
        elif action == "resume":
            rt.paused, rt.awaiting_action, rt.action = False, False, None
            rt.config = {**(rt.config or {}), "awaiting_action": False}
            await self._save(network)
            if rt.started:
                await asyncio.to_thread(adapter.resume)
                self._emit("network.resumed", f"{adapter.display_name} resumed", network)
            else:
                rt.gate.succeeded()
                await self._start_network(network, restart=False)
        elif action == "remove":
            await self._remove(network)
        else:
            raise ApiError("not_found", f"There is no network action {action!r}.", 404)
        return {"status": await self.network_status(network)}

    async def _remove(self, network: str) -> None:
        """Stop the network, forget its enrollment and its keyring secrets (not its history)."""
        adapter, rt = self.adapters[network], self.runtime(network)
        await asyncio.to_thread(self.energy.close_network, network, self.clock())
        await asyncio.to_thread(adapter.stop, True, 120.0)
        remover = getattr(adapter, "remove", None)
        if callable(remover):
            await asyncio.to_thread(remover)
        for name in (rt.config or {}).get("keyring_fields") or []:
            await asyncio.to_thread(self.secrets.delete, network, name)
        await asyncio.to_thread(self.ledger.remove_network, network)
        self._rt.pop(network, None)
        self._emit("network.removed", f"{adapter.display_name} removed", network)

    def penalties(self) -> dict[str, NetworkPenalties]:
        """Per network, for the arbiter: what pausing or throttling costs there."""
        return {network: adapter.penalties() for network, adapter in self.adapters.items()}
