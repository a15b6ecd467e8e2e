"""Scripted network adapters and a supervisor built around them, for the supervisor tests.

The fakes stand in for marketplace agents (the outside world), following the protocols of
desktop/networks/base.py; the supervisor, the ledger, the operations and the keyring
backend class around them are real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from desktop.ipc.schema import OperationState
from desktop.model import CheckResult, Event, NetworkPenalties, NodeState
from desktop.networks.backoff import Backoff
from desktop.networks.base import NetworkAdapter
from desktop.networks.records import (
    ActionRequired,
    CredentialField,
    CredentialKind,
    EarningsSummary,
    HostFacts,
    NetworkJob,
    Reputation,
    StatusSnapshot,
    requirement,
)
from desktop.networks.spec import NetworkSpec
from desktop.secrets import SecretStore
from desktop.worker.supervisor import Supervisor


class Scripted:
    """A network with its own agent (start/stop, no pause), whose state the test sets."""

    display_name = "Fake network"
    description = "A scripted stand-in for a marketplace."

    def __init__(self, clock: Any, network_id: str = "fake") -> None:
        self.id = network_id
        self.clock = clock
        self.state = NodeState.OFFLINE
        self.calls: list[str] = []
        self.creds: dict[str, str] = {}
        self.action: ActionRequired | None = None
        self.fail_start = False
        self.requirement_ok = True
        self.paid_jobs: list[NetworkJob] = []
        self.status_delay_s = 0.0
        self.stop_delay_s = 0.0
        self.stopping = threading.Event()
        self.release = threading.Event()  # a graceful stop waits for it (a job ending)
        self.release.set()

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField("token", CredentialKind.API_KEY, True, "from the site", secret=True),
            CredentialField("region", CredentialKind.TEXT, False, "eu or us"),
        ]

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties(pause_voids_job_pay=True, can_pause=False)

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return [requirement("fake.r", "R", self.requirement_ok, "r", fix="Buy a GPU.")]

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        self.calls.append("enroll")
        self.creds = dict(creds)
        return self.action

    def remove(self) -> None:
        self.calls.append("remove")

    def start(self) -> None:
        self.calls.append("start")
        if self.fail_start:
            raise RuntimeError("engine down")
        self.state = NodeState.IDLE

    def stop(self, graceful: bool, timeout_s: float) -> None:
        self.calls.append(f"stop:{graceful}")
        self.stopping.set()
        if graceful:
            self.release.wait(timeout_s)
        self.state = NodeState.OFFLINE

    def status(self) -> StatusSnapshot:
        if self.status_delay_s:
            time.sleep(self.status_delay_s)
        self.calls.append("status")
        return StatusSnapshot(self.state, str(self.state).upper(), self.clock())

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        return list(self.paid_jobs)

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        return EarningsSummary(start, end, [])

    def reputation(self) -> Reputation | None:
        return Reputation(uptime_pct=None, score=77.0)


class PausableScripted(Scripted):
    """The same, with a pause of its own (it freezes without leaving the market)."""

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties(can_pause=True)

    def pause(self) -> None:
        self.calls.append("pause")
        self.state = NodeState.PAUSED

    def resume(self) -> None:
        self.calls.append("resume")
        self.state = NodeState.IDLE


class Watched:
    """A monitor-only network: enrolled by an address, never started or paused."""

    display_name = "Watched network"
    description = "A provider RigPilot only watches."

    def __init__(self, clock: Any, network_id: str = "watched") -> None:
        self.id, self.clock = network_id, clock
        self.state = NodeState.BUSY

    def credential_schema(self) -> Sequence[CredentialField]:
        return [CredentialField("address", CredentialKind.WALLET_ADDRESS, True, "your address")]

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties(can_pause=False)

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return []

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        return None

    def remove(self) -> None:
        return None

    def status(self) -> StatusSnapshot:
        return StatusSnapshot(self.state, "leased", self.clock())

    def watched(self) -> str:
        return "provider akash1xyz"


def spec_for(adapter: NetworkAdapter, details_every_s: float = 0.0) -> NetworkSpec:
    return NetworkSpec(
        adapter.id,
        adapter.display_name,
        adapter.description,
        frozenset({"linux"}),
        lambda ctx: adapter,
        details_every_s=details_every_s,
    )


def supervisor(
    clock: Any,
    ledger: Any,
    keyring_backend: Any,
    *adapters: NetworkAdapter,
    **kwargs: Any,
) -> tuple[Supervisor, list[Event]]:
    """A supervisor over ``adapters`` (ranked in that order), recording its events."""
    events: list[Event] = []
    kwargs.setdefault("restart_backoff", lambda: Backoff(base=5.0, cap=40.0, jitter=0.0))
    sup = Supervisor(
        [spec_for(a) for a in adapters],
        {a.id: a for a in adapters},
        ledger,
        SecretStore(backend=keyring_backend),
        events.append,
        now=clock,
        **kwargs,
    )
    return sup, events


def settle(sup: Supervisor, timeout_s: float = 10.0) -> None:
    """Wait until no operation of the supervisor is running (they run on threads)."""
    deadline = time.monotonic() + timeout_s
    while running := sup.operations.unfinished():
        done = sup.operations.wait(running[0].id, max(0.0, deadline - time.monotonic()))
        assert done.state is not OperationState.RUNNING, f"{done} still running"
