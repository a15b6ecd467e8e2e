"""The supervisor's polls: each network's status on its own schedule, concurrently, each
adapter call bounded by a timeout, and never two calls of one network at once.

Why per network: a network whose API hangs (a timeout of its own, a dead host) must not
delay what the user sees of the others, nor pile up threads: each network is polled by a
loop of its own; an adapter call that outlasts ``call_timeout_s`` counts as "unknown"
(with the reason) while its thread finishes in the background, and that network is not
asked again until it has. Each adapter call runs on a daemon thread of its own (at most
one per network, by the rule above), so a hung network can neither starve the worker's
shared threads (ledger, API) nor hold up the process when it exits.

The slow details (reputation, the earnings a network reports, and whether the user has
taken a pending step) are read every ``details_every_s`` of the network's spec. A network
that is not enrolled has nothing to poll: its loop sleeps until ``enrolled`` wakes it (a
worker knows every network, and most are never enrolled on a given machine).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from desktop.ledger.health import LedgerError
from desktop.model import NodeState
from desktop.networks.nulls import earnings_api, reputation_api
from desktop.networks.records import StatusSnapshot
from desktop.worker.supervisor_agents import Agents
from desktop.worker.supervisor_ledger import SupervisorLedger
from desktop.worker.supervisor_money import SYNC_WINDOW_S, NetworkMoney
from desktop.worker.supervisor_table import AgentState, NetworkEntry, NetworkTable

log = logging.getLogger("desktop.worker.supervisor")

T = TypeVar("T")
CALL_TIMEOUT_S = 10.0


class CallBusy(Exception):
    """The network's previous call is still out (no second call while one is)."""


class CallTimedOut(Exception):
    """The adapter did not answer in time; its thread finishes in the background."""


class Polls:
    """Status, details and the restart decision, per network (module docstring)."""

    def __init__(
        self,
        table: NetworkTable,
        agents: Agents,
        money: NetworkMoney,
        ledger: SupervisorLedger,
        recheck: Callable[[str], Awaitable[None]],
        now: Callable[[], float],
        interval_s: float = 5.0,
        call_timeout_s: float = CALL_TIMEOUT_S,
    ) -> None:
        self.table, self.agents, self.money, self.ledger = table, agents, money, ledger
        self.recheck, self.now = recheck, now
        self.interval_s, self.call_timeout_s = interval_s, call_timeout_s
        self._woken: dict[str, asyncio.Event] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every network on its own loop until ``stop`` is set."""
        await asyncio.gather(*(self._loop(network, stop) for network in self.table.ids()))

    def enrolled(self, network: str) -> None:
        """The network was just enrolled (on the loop): its loop polls it now."""
        self._wake(network).set()

    def _wake(self, network: str) -> asyncio.Event:
        return self._woken.setdefault(network, asyncio.Event())

    async def _loop(self, network: str, stop: asyncio.Event) -> None:
        woken = self._wake(network)
        while not stop.is_set():
            woken.clear()
            if not self.table.get(network).rt.enrolled:  # nothing to poll until enrolled
                await _first(woken.wait(), stop.wait())
                continue
            try:
                await self.poll(network)
            except Exception:  # one network's bug must not end its polling for good
                log.exception("supervisor: polling %s failed", network)
            try:
                await asyncio.wait_for(stop.wait(), self.interval_s)
            except TimeoutError:
                pass

    async def poll_once(self) -> None:
        """One poll of every network at once (tests, and a fresh look after a change)."""
        await asyncio.gather(*(self.poll(network) for network in self.table.ids()))

    async def poll(self, network: str) -> None:
        """Read one network's status, record it, and act on it (restart a crashed agent)."""
        entry = self.table.get(network)
        adapter, rt = entry.adapter, entry.rt
        if not rt.enrolled or rt.refused is not None or rt.removing:
            return
        asked = self.now()
        try:
            seen = await self.call(entry, adapter.status)
        except CallBusy:
            log.info("supervisor: %s has not answered its last status call yet", network)
            return
        except CallTimedOut:
            message = f"{adapter.display_name} did not answer within {self.call_timeout_s:g} s"
            seen = StatusSnapshot(NodeState.UNKNOWN, "", self.now(), message=message)
        except Exception as exc:  # an adapter must not take the supervisor down
            message = f"status failed: {exc}"
            seen = StatusSnapshot(NodeState.UNKNOWN, "", self.now(), message=message)
        snapshot = replace(seen, as_of=self.now())  # on the worker's clock, like every row
        changed = rt.last is None or rt.last.state != snapshot.state
        rt.last = snapshot
        await asyncio.to_thread(
            self.ledger.record_network_state, network, snapshot.state, snapshot.as_of
        )
        if changed:
            detail = f" ({snapshot.message})" if snapshot.message else ""
            self.table.emit(
                "network.state",
                f"{adapter.display_name}: {snapshot.state}{detail}",
                network,
                state=str(snapshot.state),
                native_state=snapshot.native_state,
            )
        self.agents.observed(entry, snapshot, asked)
        if self.now() - rt.details_ts >= entry.spec.details_every_s:
            rt.details_ts = self.now()
            await self.details(entry)

    async def details(self, entry: NetworkEntry) -> None:
        """Reputation, reported pay, and the pending user step, each bounded like status."""
        adapter, rt = entry.adapter, entry.rt
        network = adapter.id
        if rt.action is not None:
            await self.recheck(network)
        try:
            rt.reputation = await self.call(entry, reputation_api(adapter).reputation)
            if rt.reputation is not None:
                await self.keep_reputation(network, rt.reputation.score, rt.reputation.uptime_pct)
        except (CallBusy, CallTimedOut):
            pass
        except Exception as exc:
            log.info("supervisor: %s reputation unavailable: %s", network, exc)
        if rt.agent is not AgentState.RUNNING:
            return
        await self.sync(entry)

    async def keep_reputation(
        self, network: str, score: float | None, uptime_pct: float | None
    ) -> None:
        """Reputation over time (charts): kept when it changes, or hourly."""
        try:
            await asyncio.to_thread(
                self.ledger.record_reputation, network, self.now(), score, uptime_pct
            )
        except LedgerError as exc:
            log.info("supervisor: %s reputation not kept: %s", network, exc)

    async def sync(self, entry: NetworkEntry) -> int:
        """Record the paid jobs the network reports (idempotent); the rows that were new."""
        network = entry.spec.id
        try:
            jobs = await self.call(
                entry, earnings_api(entry.adapter).jobs, self.now() - SYNC_WINDOW_S
            )
        except (CallBusy, CallTimedOut):
            return 0
        except Exception as exc:
            log.info("supervisor: %s jobs unavailable: %s", network, exc)
            return 0
        return await asyncio.to_thread(self.money.record_jobs, network, jobs)

    async def call(self, entry: NetworkEntry, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on a thread, at most ``call_timeout_s``; CallBusy while the
        network's previous call is out, CallTimedOut when this one runs late."""
        rt = entry.rt
        if rt.polling:
            raise CallBusy(entry.spec.id)
        rt.polling = True
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def finished() -> None:  # on the call's thread, the moment the adapter returns
            rt.polling = False

        threading.Thread(
            target=_answer,
            args=(loop, future, fn, args, finished),
            name=f"call-{entry.spec.id}",
            daemon=True,
        ).start()
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.call_timeout_s)
        except TimeoutError:
            log.warning(
                "supervisor: %s did not answer within %g s", entry.spec.id, self.call_timeout_s
            )
            raise CallTimedOut(entry.spec.id) from None


async def _first(*waits: Awaitable[object]) -> None:
    """Until the first of ``waits`` is done (the others are cancelled)."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _answer(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[T],
    fn: Callable[..., T],
    args: tuple[object, ...],
    finished: Callable[[], None],
) -> None:
    """Run the call on this thread and hand its outcome to the loop."""
    try:
        outcome: tuple[T | None, BaseException | None] = (fn(*args), None)
    except BaseException as exc:  # handed over whole: the poll decides what it means
        outcome = (None, exc)
    finally:
        finished()

    def settle() -> None:
        if future.done():
            return
        result, error = outcome
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:  # the loop closed while the call was out (the worker stopped)
        pass
