"""The supervisor (desktop/worker/supervisor.py) with a scripted adapter and fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import keyring.backends.fail
import pytest

from desktop.earnings import Tariff
from desktop.ipc.protocol import ApiError
from desktop.model import CheckResult, Event, Money, NetworkPenalties, NodeState
from desktop.networks.backoff import Backoff
from desktop.networks.base import (
    ActionRequired,
    Capabilities,
    CredentialField,
    CredentialKind,
    EarningsSummary,
    HostFacts,
    NetworkJob,
    Reputation,
    StatusSnapshot,
    requirement,
)
from desktop.secrets import SecretStore
from desktop.worker.supervisor import Supervisor


class Scripted:
    """A network adapter whose state the test sets."""

    id = "fake"
    display_name = "Fake network"

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.state = NodeState.OFFLINE
        self.calls: list[str] = []
        self.creds: dict[str, str] = {}
        self.action: ActionRequired | None = None
        self.fail_start = False
        self.requirement_ok = True
        self.paid_jobs: list[NetworkJob] = []

    def capabilities(self) -> Capabilities:
        return Capabilities(frozenset({"linux"}), False, True, True, True, True, False, True)

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField("token", CredentialKind.API_KEY, True, "from the site", secret=True),
            CredentialField("region", CredentialKind.TEXT, False, "eu or us"),
        ]

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties(pause_voids_job_pay=True)

    def check_requirements(self, facts: HostFacts) -> list[CheckResult]:
        return [requirement("fake.r", "R", self.requirement_ok, "r", fix="Buy a GPU.")]

    def enroll(self, creds: dict[str, str]) -> ActionRequired | None:
        self.calls.append("enroll")
        self.creds = dict(creds)
        return self.action

    def start(self) -> None:
        self.calls.append("start")
        if self.fail_start:
            raise RuntimeError("engine down")
        self.state = NodeState.IDLE

    def stop(self, graceful: bool = True, timeout_s: float = 120.0) -> None:
        self.calls.append(f"stop:{graceful}")
        self.state = NodeState.OFFLINE

    def pause(self) -> bool:
        self.calls.append("pause")
        self.state = NodeState.PAUSED
        return True

    def resume(self) -> None:
        self.calls.append("resume")
        self.state = NodeState.IDLE

    def remove(self) -> None:
        self.calls.append("remove")

    def status(self) -> StatusSnapshot:
        return StatusSnapshot(self.state, str(self.state).upper(), self.clock())

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        return list(self.paid_jobs)

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        return EarningsSummary(start, end, [])

    def reputation(self) -> Reputation | None:
        return Reputation(uptime_pct=None, score=77.0)

    def logs(self, tail: int = 200) -> list[str]:
        return []


def make(
    clock: Any, ledger: Any, keyring_backend: Any, **kwargs: Any
) -> tuple[Supervisor, Scripted, list[Event]]:
    adapter = Scripted(clock)
    events: list[Event] = []
    sup = Supervisor(
        {"fake": adapter},
        ledger,
        SecretStore(backend=keyring_backend),
        events.append,
        clock=clock,
        restart_backoff=lambda: Backoff(base=5.0, cap=40.0, jitter=0.0),
        **kwargs,
    )
    return sup, adapter, events


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_enroll_keeps_the_secret_in_the_keyring_only(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)
    answer = run(sup.enroll("fake", {"token": "canary-7f3a", "region": "eu"}))
    assert memory_keyring.items == {("rigpilot", "fake:token"): "canary-7f3a"}
    record = ledger.enrollment("fake")
    assert record.config["fields"] == {"region": "eu"}
    assert record.config["keyring_fields"] == ["token"]
    assert "canary-7f3a" not in repr(record) and "canary-7f3a" not in repr(events)
    assert "canary-7f3a" not in ledger.path.read_bytes().decode("latin-1")
    assert adapter.creds["token"] == "canary-7f3a"  # the adapter itself gets it
    assert adapter.calls == ["enroll", "start"]
    assert answer["status"]["enrolled"] is True and answer["action_required"] is None
    assert [e.kind for e in events] == ["network.enrolled", "network.started"]


def test_enroll_is_refused_without_a_real_keyring(clock: Any, ledger: Any) -> None:
    sup, adapter, _ = make(clock, ledger, keyring.backends.fail.Keyring())
    with pytest.raises(ApiError, match="gnome-keyring") as info:
        run(sup.enroll("fake", {"token": "canary"}))
    assert info.value.status == 422 and "canary" not in info.value.message
    assert ledger.enrollment("fake") is None and adapter.calls == []


@pytest.mark.parametrize(
    ("creds", "message", "field"),
    [
        ({"colour": "red", "token": "x"}, "no field 'colour'", "colour"),
        ({"region": "eu"}, "needs token", "token"),
    ],
)
def test_enroll_validates_fields(
    clock: Any, ledger: Any, memory_keyring: Any, creds: dict[str, str], message: str, field: str
) -> None:
    sup, _, _ = make(clock, ledger, memory_keyring)
    with pytest.raises(ApiError, match=message) as info:
        run(sup.enroll("fake", creds))
    assert info.value.field == field
    with pytest.raises(ApiError) as unknown:
        run(sup.enroll("nope", {}))
    assert unknown.value.code == "not_found"


def test_unmet_requirements_refuse_enrollment(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    facts = HostFacts("linux", False, 32, 100, True, True, ())
    sup, adapter, _ = make(clock, ledger, memory_keyring, facts=lambda: facts)
    adapter.requirement_ok = False
    with pytest.raises(ApiError, match="Buy a GPU"):
        run(sup.enroll("fake", {"token": "t"}))


def test_an_action_required_waits_for_the_user(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    sup, adapter, _ = make(clock, ledger, memory_keyring)
    adapter.action = ActionRequired("Run this once", command="docker run x")
    answer = run(sup.enroll("fake", {"token": "t"}))
    assert answer["action_required"]["command"] == "docker run x"
    assert answer["status"]["next_step"] == "Run this once" and "start" not in adapter.calls
    run(sup.act("fake", "resume"))
    assert adapter.calls[-1] == "start"
    assert ledger.enrollment("fake").config["awaiting_action"] is False


def test_the_users_step_done_before_a_restart_starts_it(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    first, adapter, _ = make(clock, ledger, memory_keyring)
    adapter.action = ActionRequired("Run this once")
    run(first.enroll("fake", {"token": "t"}))
    second, again, _ = make(clock, ledger, memory_keyring)  # registration now done
    run(second.start())
    assert again.calls == ["enroll", "start"]


def test_a_crashed_agent_is_restarted_with_growing_backoff(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)

    async def scenario() -> list[float]:
        await sup.enroll("fake", {"token": "t"})
        restarts: list[float] = []
        for _ in range(120):
            adapter.state = NodeState.OFFLINE  # it keeps crashing
            before = adapter.calls.count("start")
            await sup.poll_once()
            if adapter.calls.count("start") > before:
                restarts.append(clock.now)
            clock.advance(1.0)
        return restarts

    start = clock.now
    restarts = run(scenario())
    gaps = [b - a for a, b in zip(restarts, restarts[1:], strict=False)]
    assert restarts[0] == start  # the first poll after the crash restarts at once
    assert gaps[:4] == [5.0, 10.0, 20.0, 40.0] and set(gaps[4:]) <= {40.0}
    assert any(e.kind == "network.restarted" for e in events)


def test_a_failing_start_is_reported(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)
    adapter.fail_start = True
    run(sup.enroll("fake", {"token": "t"}))
    assert any(e.kind == "network.start_failed" and "engine down" in e.message for e in events)


def test_status_history_gives_uptime(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)

    async def scenario() -> None:
        await sup.enroll("fake", {"token": "t"})
        for state, seconds in (
            (NodeState.IDLE, 300),
            (NodeState.BUSY, 300),
            (NodeState.UNKNOWN, 200),
        ):
            adapter.state = state
            for _ in range(int(seconds / 10)):
                await sup.poll_once()
                clock.advance(10)

    run(scenario())
    changes = [e.data["state"] for e in events if e.kind == "network.state"]
    assert changes == ["idle", "busy", "unknown"]
    assert [s.state for s in ledger.network_history("fake", 0)] == [
        NodeState.IDLE,
        NodeState.BUSY,
        NodeState.UNKNOWN,
    ]
    (summary,) = run(sup.summaries())
    assert summary["uptime_pct"] == pytest.approx(75.0)
    assert summary["reputation"]["score"] == 77.0


def test_pause_resume_remove(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    sup, adapter, _ = make(clock, ledger, memory_keyring)

    async def scenario() -> dict[str, Any]:
        await sup.enroll("fake", {"token": "t"})
        paused = await sup.act("fake", "pause")
        assert paused["status"]["paused"] is True and ledger.enrollment("fake").paused
        await sup.act("fake", "resume")
        return await sup.act("fake", "remove")

    removed = run(scenario())
    assert adapter.calls[1:] == ["start", "pause", "resume", "stop:True", "remove"]
    assert memory_keyring.items == {} and ledger.enrollment("fake") is None
    assert removed["status"]["enrolled"] is False
    assert sup.penalties()["fake"].pause_voids_job_pay is True
    with pytest.raises(ApiError) as info:
        run(sup.act("fake", "pause"))
    assert info.value.code == "conflict"


def test_restart_of_the_worker_restores_enrollment(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    first, _, _ = make(clock, ledger, memory_keyring)
    run(first.enroll("fake", {"token": "tok", "region": "us"}))
    run(first.act("fake", "pause"))
    second, adapter, _ = make(clock, ledger, memory_keyring)
    run(second.start())
    assert adapter.creds == {"token": "tok", "region": "us"} and adapter.calls == ["enroll"]
    assert second.summary()[0]["paused"] is True


def test_credit_and_sync_are_idempotent(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)
    run(sup.enroll("fake", {"token": "t"}))
    money = Money(Decimal("2"), "DEMO", Decimal("0.2"))
    assert sup.credit("fake", "j1", money, "fake:j1:pay") is True
    assert sup.credit("fake", "j1", money, "fake:j1:pay") is False
    adapter.paid_jobs = [
        NetworkJob("j1", "COMPLETED", 1.0, 2.0, money),
        NetworkJob("j2", "COMPLETED", 1.0, clock.now, Money(Decimal("1"), "USD", Decimal("1"))),
        NetworkJob("j3", "RUNNING", 1.0, None),
    ]
    assert run(sup.sync_earnings()) == 1 and run(sup.sync_earnings()) == 0
    assert sum(e.kind == "network.earned" for e in events) == 1
    assert ledger.usd_by_network() == {"fake": Decimal("1.2")}


def test_energy_of_running_networks_and_net_by_hand(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    clock.now += 12 * 3600  # midday: the hour stays inside one local day
    tariff = Tariff(price_per_kwh=Decimal("0.30"), system_overhead_w=Decimal("60"))
    sup, adapter, _ = make(clock, ledger, memory_keyring, tariff=lambda: tariff)

    async def scenario() -> dict[str, Any]:
        await sup.enroll("fake", {"token": "t"})
        await sup.poll_once()  # sees IDLE: running
        counter = 1_000_000.0
        for _ in range(360):  # one hour at 10 s, 250 W
            sup.record_energy("GPU-1", clock.now, counter)
            clock.advance(10)
            counter += 2500.0
        sup.record_energy("GPU-1", clock.now, counter)
        sup.credit("fake", "j1", Money(Decimal("1.5"), "USD", Decimal("1.5")), "fake:j1:pay")
        return await sup.earnings(1)

    report = run(scenario())
    (day,) = report["days"]
    # 900 kJ = 0.25 kWh; 60 W for 1 h = 0.06 kWh; (0.25 + 0.06) x 0.30 = 0.093
    assert day["energy_kwh"] == "0.250000" and day["running_hours"] == "1.000000"
    assert day["electricity_cost"] == "0.093000"
    assert Decimal(day["net_usd"]) == Decimal("1.5") - Decimal("0.093")
    (summary,) = run(sup.summaries())
    assert summary["earnings_today"]["net_usd"] == "1.407000"
    assert summary["earnings_total"]["gross_usd"] == "1.500000"
    adapter.state = NodeState.PAUSED
    run(sup.poll_once())
    sup.record_energy("GPU-1", clock.now + 10, counter_j=9e9)  # not running: period closes
    assert sup.energy.open_networks() == set()
