"""The supervisor (desktop/worker/supervisor.py): enrollment, restore, crash restarts,
history, removal and money, with a scripted adapter, the real ledger and real operations."""

from __future__ import annotations

import asyncio
import threading
import time
from decimal import Decimal
from typing import Any

import keyring.backends.fail
import pytest

from desktop.ipc.protocol import ApiError
from desktop.model import Money, NodeState
from desktop.money.valuation import Tariff
from desktop.networks.records import ActionRequired, HostFacts, NetworkJob, StatusSnapshot
from tests.unit.networks.fakes import Scripted, settle, supervisor


def make(clock: Any, ledger: Any, keyring_backend: Any, **kwargs: Any) -> Any:
    adapter = Scripted(clock)
    sup, events = supervisor(clock, ledger, keyring_backend, adapter, **kwargs)
    return sup, adapter, events


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_enroll_keeps_the_secret_in_the_keyring_only_and_starts_on_an_operation(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)
    answer = run(sup.enroll("fake", {"token": "canary-7f3a", "region": "eu"}))
    assert answer["operation"]["kind"] == "start" and answer["operation"]["state"] == "running"
    settle(sup)
    assert memory_keyring.items == {("rigpilot", "fake:token"): "canary-7f3a"}
    record = ledger.enrollment("fake")
    assert record.config["fields"] == {"region": "eu"}
    assert record.config["keyring_fields"] == ["token"]
    assert "canary-7f3a" not in repr(record) and "canary-7f3a" not in repr(events)
    assert "canary-7f3a" not in ledger.path.read_bytes().decode("latin-1")
    assert adapter.creds["token"] == "canary-7f3a"  # the adapter itself gets it
    assert adapter.calls == ["enroll", "start"]
    assert answer["status"]["enrolled"] is True and answer["action_required"] is None
    assert [e.kind for e in events] == [
        "network.enrolled",
        "operation.progress",
        "network.started",
        "operation.finished",
    ]
    finished = sup.operation(answer["operation"]["id"])
    assert finished.state == "succeeded" and finished.message == "Fake network started"
    assert events[-1].data["operation"] == finished.id


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
    assert info.value.field == field and info.value.status == 422
    with pytest.raises(ApiError) as unknown:
        run(sup.enroll("nope", {}))
    assert unknown.value.code == "not_found" and "known: fake" in unknown.value.message


def test_unmet_requirements_refuse_enrollment(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    facts = HostFacts("linux", False, 32, 100, True, True, ())
    sup, adapter, _ = make(clock, ledger, memory_keyring, facts=lambda: facts)
    adapter.requirement_ok = False
    with pytest.raises(ApiError, match="Buy a GPU"):
        run(sup.enroll("fake", {"token": "t"}))
    assert sup.summary()[0]["next_step"] == "Buy a GPU."


def test_an_action_required_waits_for_the_user_and_is_noticed_once_done(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)
    adapter.action = ActionRequired("Run this once", command="docker run x")
    answer = run(sup.enroll("fake", {"token": "t"}))
    assert answer["action_required"]["command"] == "docker run x"
    assert answer["operation"] is None and "start" not in adapter.calls
    assert answer["status"]["next_step"] == "Run this once"
    assert sup.owners() == []  # a step is still the user's
    run(sup.poll_once())  # the step is still not done
    assert "start" not in adapter.calls
    adapter.action = None  # the user ran the command
    run(sup.poll_once())
    settle(sup)
    assert adapter.calls[-1] == "start" and sup.owners() == ["fake"]
    assert ledger.enrollment("fake").config["awaiting_action"] is False


def test_the_users_step_done_before_a_restart_starts_it(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    first, adapter, _ = make(clock, ledger, memory_keyring)
    adapter.action = ActionRequired("Run this once")
    run(first.enroll("fake", {"token": "t"}))
    second, again, _ = make(clock, ledger, memory_keyring)  # registration now done
    run(second.start())
    settle(second)
    assert again.calls == ["enroll", "start"]


def test_a_crashed_agent_is_restarted_with_growing_backoff(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)

    async def scenario() -> list[float]:
        await sup.enroll("fake", {"token": "t"})
        settle(sup)
        restarts: list[float] = []
        for _ in range(120):
            adapter.state = NodeState.OFFLINE  # it keeps crashing
            before = adapter.calls.count("start")
            await sup.poll_once()
            settle(sup)
            if adapter.calls.count("start") > before:
                restarts.append(clock.now)
            clock.advance(1.0)
        return restarts

    start = clock.now
    restarts = run(scenario())
    gaps = [b - a for a, b in zip(restarts, restarts[1:], strict=False)]
    assert restarts[0] == start  # the first poll after the crash restarts at once
    assert gaps[:4] == [5.0, 10.0, 20.0, 40.0] and set(gaps[4:]) <= {40.0}
    restarted = [e for e in events if e.kind == "network.restarted"]
    assert restarted and restarted[-1].data["restarts"] == len(restarts)
    assert any(e.kind == "operation.finished" and e.data["kind"] == "restart" for e in events)


def test_a_failing_start_fails_its_operation_and_is_tried_again_later(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)
    adapter.fail_start = True
    answer = run(sup.enroll("fake", {"token": "t"}))
    settle(sup)
    failed = sup.operation(answer["operation"]["id"])
    assert failed.state == "failed" and "engine down" in failed.message
    assert "next try in 5 s" in failed.message
    assert any(e.kind == "network.start_failed" and "engine down" in e.message for e in events)
    assert sup.owners() == []  # failing: it cannot own a GPU
    adapter.fail_start = False
    run(sup.poll_once())  # inside the backoff: not yet
    settle(sup)
    assert adapter.calls.count("start") == 1
    clock.advance(5.0)
    run(sup.poll_once())
    settle(sup)
    run(sup.poll_once())
    assert adapter.calls.count("start") == 2 and sup.owners() == ["fake"]


def test_status_history_gives_uptime(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)

    async def scenario() -> None:
        await sup.enroll("fake", {"token": "t"})
        settle(sup)
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
    (summary,) = run(sup.list_networks())
    assert summary["uptime_pct"] == pytest.approx(75.0)
    assert summary["reputation"]["score"] == 77.0
    assert summary["description"] == "A scripted stand-in for a marketplace."
    assert summary["capabilities"]["can_start_stop"] and not summary["capabilities"]["can_pause"]


def test_remove_is_an_operation_that_waits_for_the_job(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)
    run(sup.enroll("fake", {"token": "t"}))
    settle(sup)
    adapter.state = NodeState.BUSY
    run(sup.poll_once())
    adapter.release.clear()  # a job is running: the graceful stop waits for it
    answer = run(sup.act("fake", "remove"))
    assert answer["operation"]["kind"] == "remove" and answer["operation"]["state"] == "running"
    assert adapter.stopping.wait(5)
    (brief,) = sup.summary()
    assert brief["operation"]["kind"] == "remove" and brief["enrolled"] is True
    run(sup.poll_once())  # not polled, and not restarted, while it goes
    assert adapter.calls.count("start") == 1
    with pytest.raises(ApiError, match="being removed") as busy:
        run(sup.enroll("fake", {"token": "t"}))
    assert busy.value.status == 409
    assert sup.remove("fake").id == answer["operation"]["id"]  # the same removal, not a second
    adapter.release.set()  # the job ends
    settle(sup)
    assert adapter.calls[-2:] == ["stop:True", "remove"]
    assert memory_keyring.items == {} and ledger.enrollment("fake") is None
    assert sup.summary()[0]["enrolled"] is False and sup.summary()[0]["operation"] is None
    progress = [e.message for e in events if e.kind == "operation.progress"]
    assert any("Waiting up to 2 min for the job running on Fake network" in m for m in progress)
    assert events[-1].kind == "operation.finished" and events[-1].message == "Fake network removed"
    with pytest.raises(ApiError) as info:
        run(sup.act("fake", "remove"))
    assert info.value.code == "conflict" and info.value.status == 409


def test_pause_is_no_longer_a_network_action(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    sup, _, _ = make(clock, ledger, memory_keyring)
    with pytest.raises(ApiError, match="rigpilot pause --network fake") as info:
        run(sup.act("fake", "pause"))
    assert info.value.status == 404


def test_a_worker_restart_restores_the_enrollment_and_leaves_a_held_network_stopped(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    first, _, _ = make(clock, ledger, memory_keyring)
    run(first.enroll("fake", {"token": "tok", "region": "us"}))
    settle(first)
    second, adapter, _ = make(clock, ledger, memory_keyring, is_held=lambda n: n == "fake")
    run(second.start())
    settle(second)
    assert adapter.creds == {"token": "tok", "region": "us"} and adapter.calls == ["enroll"]
    (brief,) = second.summary()
    assert brief["paused"] is True and brief["state"] == "paused"
    assert second.owners() == []  # held by the user
    second.resume_agent("fake", "you resumed")  # the reconciler lets it go
    settle(second)
    assert adapter.calls == ["enroll", "start"]


class StartsWhileAsked(Scripted):
    """Its status is asked while the agent is down, and answers after the agent's start
    has completed (the race of a worker's boot: the first poll against the restore)."""

    def __init__(self, clock: Any) -> None:
        super().__init__(clock)
        self.asked = threading.Event()
        self.sup: Any = None

    def start(self) -> None:
        self.asked.wait(5)  # a status call is out
        self.clock.advance(1.0)
        super().start()

    def status(self) -> StatusSnapshot:
        snapshot = StatusSnapshot(self.state, str(self.state).upper(), self.clock())
        self.asked.set()
        deadline = time.monotonic() + 5
        while self.sup.operations.unfinished() and time.monotonic() < deadline:
            time.sleep(0.01)  # the start completes while this answer is on its way
        self.calls.append("status")
        return snapshot


def test_a_status_asked_before_the_agent_started_does_not_restart_it(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    first, _, _ = make(clock, ledger, memory_keyring)
    run(first.enroll("fake", {"token": "tok"}))
    settle(first)
    adapter = StartsWhileAsked(clock)
    second, events = supervisor(clock, ledger, memory_keyring, adapter)
    adapter.sup = second

    async def boot() -> None:
        await second.start()  # restores the enrollment; the start waits for the poll
        await second.poll_once()  # "offline", asked before the start: old news

    run(boot())
    settle(second)
    assert adapter.calls.count("start") == 1, adapter.calls
    assert not [e for e in events if e.kind == "network.restarted"]


def test_credit_and_sync_are_idempotent(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    sup, adapter, events = make(clock, ledger, memory_keyring)
    run(sup.enroll("fake", {"token": "t"}))
    settle(sup)
    money = Money(Decimal("2"), "DEMO", Decimal("0.2"))
    assert sup.credit("fake", "j1", money, "fake:j1:pay") is True
    assert sup.credit("fake", "j1", money, "fake:j1:pay") is False
    adapter.paid_jobs = [
        NetworkJob("j1", "COMPLETED", 1.0, 2.0, money),
        NetworkJob("j2", "COMPLETED", 1.0, clock.now, Money(Decimal("1"), "USD", Decimal("1"))),
        NetworkJob("j3", "RUNNING", 1.0, None),
    ]
    entry = sup.table.get("fake")
    assert run(sup.polls.sync(entry)) == 1 and run(sup.polls.sync(entry)) == 0
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
        settle(sup)
        await sup.poll_once()  # sees IDLE: running
        counter = 1_000_000.0
        for _ in range(360):  # one hour at 10 s, 250 W, on a GPU "fake" owns
            sup.record_energy("GPU-1", counter, owner="fake")
            clock.advance(10)
            counter += 2500.0
        sup.record_energy("GPU-1", counter, owner="fake")
        sup.record_energy("GPU-2", counter, owner="other")  # not ours: charged to nobody here
        sup.money.energy.tick_all(clock.now)  # what the ledger pump does every few seconds
        sup.credit("fake", "j1", Money(Decimal("1.5"), "USD", Decimal("1.5")), "fake:j1:pay")
        return await sup.earnings(1)

    report = run(scenario())
    (day,) = report["days"]
    # 900 kJ = 0.25 kWh; 60 W for 1 h = 0.06 kWh; (0.25 + 0.06) x 0.30 = 0.093
    assert day["energy_kwh"] == "0.250000" and day["running_hours"] == "1.000000"
    assert day["electricity"] == "0.093000" and day["currency"] == "USD"
    assert Decimal(day["net"]) == Decimal("1.5") - Decimal("0.093")
    (summary,) = run(sup.list_networks())
    assert summary["earnings_today"]["net"] == "1.407000"
    assert summary["earnings_total"]["gross"] == "1.500000"
    adapter.state = NodeState.OFFLINE
    sup.pause_agent("fake", "a game")  # paused (a graceful stop): not running any more
    settle(sup)
    run(sup.poll_once())
    clock.advance(10)
    sup.record_energy("GPU-1", counter_j=9e9)  # not running: the period closes
    assert sup.money.energy.open_networks() == set()
