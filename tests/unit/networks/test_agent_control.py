"""What the reconciler calls (AgentControl): owners, pause and resume that return at once,
the emergency stop that skips the line, and the latest wish winning."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from desktop.model import NodeState
from desktop.networks.base import Controllable, Pausable
from tests.unit.networks.fakes import PausableScripted, Scripted, Watched, settle, supervisor


def actions(agent: Scripted) -> list[str]:
    return [call for call in agent.calls if call != "status"]


def enrolled(sup: Any, *networks: str) -> None:
    for network in networks:
        creds = {"address": "akash1xyz"} if network == "watched" else {"token": "t"}
        asyncio.run(sup.enroll(network, creds))
    settle(sup)
    asyncio.run(sup.poll_once())


def test_owners_are_ranked_and_leave_out_held_failing_and_unfinished_networks(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    held: set[str] = set()
    first, second = Scripted(clock, "first"), PausableScripted(clock, "second")
    watched = Watched(clock)
    sup, _ = supervisor(
        clock, ledger, memory_keyring, first, second, watched, is_held=held.__contains__
    )
    assert sup.owners() == []  # nothing enrolled
    enrolled(sup, "first", "second", "watched")
    assert sup.owners() == ["first", "second", "watched"]  # the registry's order
    held.add("first")
    assert sup.owners() == ["second", "watched"]
    watched.state = NodeState.OFFLINE  # the watched provider went down: failing
    asyncio.run(sup.poll_once())
    assert sup.owners() == ["second"]
    assert sup.runs_own_agent("first") and sup.runs_own_agent("watched")
    assert set(sup.penalties()) == {"first", "second", "watched"}
    assert sup.penalties()["first"].pause_voids_job_pay is True


def test_pause_and_resume_use_the_networks_own_pause_when_it_has_one(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    agent = PausableScripted(clock)
    assert isinstance(agent, Pausable)
    sup, events = supervisor(clock, ledger, memory_keyring, agent)
    enrolled(sup, "fake")
    sup.pause_agent("fake", "a game started")
    settle(sup)
    asyncio.run(sup.poll_once())
    (brief,) = sup.summary()
    assert brief["state"] == "paused" and brief["paused"] is True
    assert "a game started" in brief["next_step"]
    sup.pause_agent("fake", "a game started")  # the same wish again: nothing happens
    sup.resume_agent("fake", "the game ended")
    settle(sup)
    assert agent.calls.count("pause") == 1 and actions(agent)[-1] == "resume"
    kinds = [e.data.get("kind") for e in events if e.kind == "operation.finished"]
    assert kinds == ["start", "pause", "resume"]


def test_a_network_that_cannot_pause_is_stopped_gracefully_and_started_again(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    agent = Scripted(clock)
    assert isinstance(agent, Controllable) and not isinstance(agent, Pausable)
    sup, events = supervisor(clock, ledger, memory_keyring, agent)
    enrolled(sup, "fake")
    agent.release.clear()  # its job runs on: the graceful stop waits
    sup.pause_agent("fake", "a game started")
    assert sup.operations.running("fake") is not None  # it returned; the stop still waits
    assert agent.stopping.wait(5)
    asyncio.run(sup.poll_once())  # OFFLINE while it stops: not restarted as crashed
    assert agent.calls.count("start") == 1
    agent.release.set()
    settle(sup)
    asyncio.run(sup.poll_once())
    (brief,) = sup.summary()
    assert brief["state"] == "paused" and "a game started" in brief["next_step"]
    assert sup.owners() == ["fake"]  # paused by a hold, still the GPU's owner
    sup.resume_agent("fake", "the game ended")
    settle(sup)
    assert actions(agent)[-2:] == ["stop:True", "start"]
    paused = [e.message for e in events if e.kind == "network.paused"]
    assert paused == ["Fake network paused (it cannot pause: stopped): a game started"]


def test_a_resume_while_the_pause_still_waits_leaves_it_running(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    agent = Scripted(clock)
    sup, _ = supervisor(clock, ledger, memory_keyring, agent)
    enrolled(sup, "fake")
    agent.release.clear()
    sup.pause_agent("fake", "a game")
    op = sup.operations.running("fake")
    assert op is not None and op.kind == "pause" and agent.stopping.wait(5)
    sup.resume_agent("fake", "the game ended at once")  # taken along by the same driver
    assert sup.operations.running("fake") == op
    agent.release.set()
    settle(sup)
    assert actions(agent)[-2:] == ["stop:True", "start"] and agent.state is NodeState.IDLE
    assert sup.operation(op.id).message.endswith("Fake network resumed")


def test_an_emergency_does_not_wait_behind_a_graceful_pause(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    agent = Scripted(clock)
    sup, events = supervisor(clock, ledger, memory_keyring, agent)
    enrolled(sup, "fake")
    agent.release.clear()  # the graceful pause waits for a job that never ends
    sup.pause_agent("fake", "a game")
    assert agent.stopping.wait(5)
    done = threading.Event()
    threading.Thread(
        target=lambda: (sup.stop_agent_now("fake", "GPU at 91 °C"), done.set()), daemon=True
    ).start()
    assert done.wait(5), "the emergency stop queued behind the graceful one"
    assert "stop:False" in agent.calls
    stopped = [e for e in events if e.kind == "network.stopped"]
    assert stopped and "GPU at 91 °C" in stopped[0].message
    asyncio.run(sup.poll_once())  # stopped by us: not restarted as crashed
    assert agent.calls.count("start") == 1
    agent.release.set()
    settle(sup)
    sup.resume_agent("fake", "you pressed Resume")
    settle(sup)
    assert actions(agent)[-1] == "start" and agent.calls.count("start") == 2


def test_a_network_the_user_holds_is_not_restarted_after_a_crash(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    held: set[str] = set()
    agent = Scripted(clock)
    sup, _ = supervisor(clock, ledger, memory_keyring, agent, is_held=held.__contains__)
    enrolled(sup, "fake")
    held.add("fake")
    agent.state = NodeState.OFFLINE  # it crashes while the user holds it
    asyncio.run(sup.poll_once())
    settle(sup)
    assert agent.calls.count("start") == 1
    held.clear()
    asyncio.run(sup.poll_once())
    settle(sup)
    assert agent.calls.count("start") == 2


def test_a_watched_network_is_never_driven(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    watched = Watched(clock)
    sup, events = supervisor(clock, ledger, memory_keyring, watched)
    enrolled(sup, "watched")
    sup.pause_agent("watched", "a game")
    sup.stop_agent_now("watched", "hot")
    sup.resume_agent("watched", "cool")
    assert sup.operations.unfinished() == [] and not [e for e in events if "operation" in e.kind]
    (record,) = asyncio.run(sup.list_networks())
    assert record["capabilities"]["monitor_only"] and record["state"] == "busy"


class WithProcesses(Scripted):
    """An agent whose processes run outside RigPilot's job containers (io.net's worker)."""

    def __init__(self, clock: Any, network_id: str, pids: set[int]) -> None:
        super().__init__(clock, network_id)
        self.pids = pids

    def agent_pids(self) -> set[int]:
        if not self.pids:
            raise RuntimeError("docker went away")
        return set(self.pids)


def test_agent_pids_are_the_enrolled_networks_own_processes(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    ionet = WithProcesses(clock, "first", {4242, 4243})
    other = WithProcesses(clock, "second", {99})
    broken = WithProcesses(clock, "third", set())
    sup, _ = supervisor(clock, ledger, memory_keyring, ionet, other, broken)
    assert sup.agent_pids() == set()  # nothing enrolled: no process is a network's
    enrolled(sup, "first", "third")
    assert sup.agent_pids() == {4242, 4243}  # "second" is not enrolled; "third" failed
