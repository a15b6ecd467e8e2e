"""The supervisor's enrollments: enroll, restore at start, notice a step the user has
taken, and remove.

Why the split between now and later: what can be refused is checked while the request
waits (the fields, the requirements, the keyring, and the adapter's own check of the
credentials), so the user gets the refusal with the field to fix. What takes long (the
agent's first start, which may pull an image; a removal, whose graceful stop may wait
minutes for a job) is an operation (desktop/worker/operations.py) that answers at once.

Secrets go to the keyring (SecretStore) and only their field names reach the ledger.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from desktop.ipc.schema import Operation
from desktop.model import NodeState, Severity
from desktop.networks.base import EnrollmentError, NetworkBusy, NetworkError, NotEnrolled
from desktop.networks.credentials import split_credentials
from desktop.networks.energy import EnergyAccounting
from desktop.networks.nulls import enrollment
from desktop.networks.records import ActionRequired, HostFacts, StatusSnapshot
from desktop.secrets import KeyringUnavailable, SecretStore
from desktop.worker.operations import Operations, Progress
from desktop.worker.supervisor_agents import Agents
from desktop.worker.supervisor_ledger import SupervisorLedger
from desktop.worker.supervisor_table import AgentState, NetworkEntry, NetworkTable

log = logging.getLogger("desktop.worker.supervisor")


class Enrollments:
    """Enrollment records, their secrets, and the agent's first start (module docstring)."""

    def __init__(
        self,
        table: NetworkTable,
        agents: Agents,
        operations: Operations,
        ledger: SupervisorLedger,
        secrets: SecretStore,
        energy: EnergyAccounting,
        facts: Callable[[], HostFacts | None],
        is_held: Callable[[str], bool],
        now: Callable[[], float],
    ) -> None:
        self.table, self.agents, self.operations = table, agents, operations
        self.ledger, self.secrets, self.energy = ledger, secrets, energy
        self.facts, self.is_held, self.now = facts, is_held, now

    async def enroll(
        self, network: str, credentials: Mapping[str, Any]
    ) -> tuple[ActionRequired | None, Operation | None]:
        """Check, keep the secrets in the keyring, let the adapter check the credentials,
        record; then start the agent (an operation) unless the user has a step to take or
        holds the network. EnrollmentError (with the field) when refused."""
        entry = self.table.get(network)
        adapter, rt = entry.adapter, entry.rt
        if rt.removing:
            raise NetworkBusy(
                f"{adapter.display_name} is being removed; enroll it again once that is done."
            )
        facts = self.facts()
        secret, plain = split_credentials(adapter, credentials, facts)
        try:
            if secret:
                await asyncio.to_thread(self.secrets.check)
                for name, value in secret.items():
                    await asyncio.to_thread(self.secrets.set, network, name, value)
        except KeyringUnavailable as exc:
            raise EnrollmentError(str(exc)) from None
        action = await asyncio.to_thread(enrollment(adapter, facts).enroll, {**plain, **secret})
        if rt.refused is not None:
            rt.refused, rt.last = None, None  # its ERROR snapshot told the old story
        rt.enrolled, rt.action = True, action
        rt.config = {
            "fields": plain,
            "keyring_fields": sorted(secret),
            "awaiting_action": action is not None,
        }
        await asyncio.to_thread(self.ledger.enroll_network, network, self.now(), rt.config)
        self.table.emit("network.enrolled", f"{adapter.display_name} enrolled", network)
        return action, self._start_unless_held(network)

    def _start_unless_held(self, network: str) -> Operation | None:
        if self.is_held(network):
            log.info("supervisor: %s is held; it starts when resumed", network)
            return None
        return self.agents.want(network, AgentState.RUNNING)

    async def restore_all(self) -> None:
        """At start: every saved enrollment, with its secrets, checked by its adapter again."""
        for network in self.table.ids():
            await self.restore(network)

    async def restore(self, network: str) -> None:
        entry = self.table.get(network)
        record = await asyncio.to_thread(self.ledger.enrollment, network)
        if record is None:
            return
        rt = entry.rt
        rt.enrolled, rt.config = True, dict(record.config)
        rt.action = None
        if await self._check_again(entry):
            self._start_unless_held(network)

    async def recheck(self, network: str) -> None:
        """A step was pending: has the user taken it? Then the agent starts."""
        entry = self.table.get(network)
        if entry.rt.action is not None and await self._check_again(entry):
            log.info("supervisor: %s: the user's step is done", network)
            self._start_unless_held(network)

    async def _check_again(self, entry: NetworkEntry) -> bool:
        """The adapter checks the saved credentials again. True when the agent may start;
        False when a step is still the user's, or (marked refused, with why) when the
        credentials no longer hold."""
        adapter, rt = entry.adapter, entry.rt
        network = adapter.id
        creds = dict(rt.config.get("fields") or {})
        for name in rt.config.get("keyring_fields") or []:
            value = await asyncio.to_thread(self.secrets.get, network, name)
            if value is not None:
                creds[name] = value
        try:
            rt.action = await asyncio.to_thread(enrollment(adapter, self.facts()).enroll, creds)
        except Exception as exc:  # e.g. the practice image is no longer allowed
            rt.refused = str(exc)  # not polled, not started: its status says why
            rt.last = StatusSnapshot(NodeState.ERROR, "", self.now(), message=str(exc))
            self.table.emit(
                "network.error", f"{adapter.display_name}: {exc}", network, Severity.ERROR
            )
            return False
        if bool(rt.config.get("awaiting_action")) != (rt.action is not None):
            rt.config["awaiting_action"] = rt.action is not None
            await asyncio.to_thread(self.ledger.enroll_network, network, self.now(), rt.config)
        return rt.action is None

    def remove(self, network: str) -> Operation:
        """Stop the agent (gracefully), forget the enrollment and its keyring secrets (not
        its history or earnings): an operation. NotEnrolled when there is nothing to remove."""
        entry = self.table.get(network)
        adapter, rt = entry.adapter, entry.rt
        with rt.mutex:
            if not rt.enrolled:
                raise NotEnrolled(
                    f"{adapter.display_name} is not enrolled; there is nothing to remove."
                )
            running = self.operations.running(network)
            if rt.removing and running is not None:
                return running
            rt.removing, rt.target, rt.graceful = True, AgentState.STOPPED, True
        return self.operations.start(
            "remove",
            network,
            f"Removing {adapter.display_name}",
            lambda progress: self._remove(entry, progress),
        )

    def _remove(self, entry: NetworkEntry, progress: Progress) -> str:
        adapter, rt = entry.adapter, entry.rt
        network, name = adapter.id, adapter.display_name
        try:
            self.agents.drive(network, progress)
            self.energy.close_network(network, self.now())
            enrollment(adapter).remove()
            for field in rt.config.get("keyring_fields") or []:
                self.secrets.delete(network, field)
            self.ledger.remove_network(network)
        except Exception as exc:
            with rt.mutex:
                rt.removing = False
            raise NetworkError(
                f"{name} could not be removed: {exc}. It is still enrolled; try again."
            ) from exc
        with rt.mutex:
            rt.forget()
            rt.removing = False
        self.table.emit("network.removed", f"{name} removed", network)
        return f"{name} removed"
