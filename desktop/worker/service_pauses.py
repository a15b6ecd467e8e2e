"""The worker's event and pause routes: the user's pauses, their expiry, and the event feed.

Why with the events: every pause and resume is announced on the bus, and a timed pause ends
by itself through one timer at the earliest end (no polling while idle), then the work is
made to follow the pauses again.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from desktop.errors import Conflict, NotFound
from desktop.ipc.schema import HoldsAnswer, PauseRequest, PauseScope, ResumeRequest
from desktop.ipc.schema_data import EventsAnswer, EventsQuery
from desktop.worker import status_view as view
from desktop.worker.pause import PauseEntry
from desktop.worker.service_base import ServiceBase, log


class PauseRoutes(ServiceBase):
    """``GET /events``, ``POST /pause`` and ``POST /resume``."""

    async def events(self, query: EventsQuery) -> EventsAnswer:
        if query.wait > 0 and not self.stopping:
            found = await self.bus.wait_since(query.since, query.wait, query.limit)
        else:
            found = self.bus.since(query.since, query.limit)
        return EventsAnswer(events=found, last_seq=self.bus.last_seq)

    async def pause(self, request: PauseRequest) -> HoldsAnswer:
        self._check_target(request.scope, request.gpu, request.network)
        entry = self.pauses.pause(request)
        until = f" until {_clock_text(entry.until_ts)}" if entry.until_ts else ""
        why = f" ({entry.reason})" if entry.reason else ""
        self.publish(
            "user.pause",
            f"Paused {entry.describe()}{until}{why}",
            gpu_index=request.gpu,
            network=request.network,
            data=entry.to_json(),
        )
        self._schedule_expiry()
        await self._apply_pauses()
        return self._holds()

    async def resume(self, request: ResumeRequest) -> HoldsAnswer:
        self._check_target(request.scope, request.gpu, request.network)
        if request.scope != PauseScope.ALL and self.pauses.all_paused:
            target = f"GPU {request.gpu}" if request.scope == PauseScope.GPU else request.network
            raise Conflict(
                f"all work is paused, so {target} cannot resume alone; resume everything "
                "(`rigpilot resume`) and pause what should stay paused"
            )
        for entry in self.pauses.resume(request):
            self._announce_resume(entry, "by you")
        self._schedule_expiry()
        await self._apply_pauses()
        await self._resume_legacy(request)
        return self._holds()

    def _check_target(self, scope: PauseScope, gpu: int | None, network: str | None) -> None:
        if scope == PauseScope.GPU:
            self._check_gpu(gpu)
        networks = self.parts.networks
        if scope == PauseScope.NETWORK and networks is not None:
            known = {str(n["network"]): n for n in networks.summary()}
            if network not in known:
                raise NotFound(
                    f"there is no network {network!r}; this worker's networks: "
                    f"{', '.join(known) or 'none'}",
                    field="network",
                )
            if not known[network]["enrolled"]:
                raise Conflict(
                    f"{known[network]['display_name']} is not enrolled, so there is nothing "
                    f"to pause or resume; enroll it first (rigpilot enroll {network})",
                    field="network",
                )

    async def _resume_legacy(self, request: ResumeRequest) -> None:
        """Resume networks still paused the old way (the ledger's flag) under this scope."""
        networks = self.parts.networks
        if networks is None or request.scope == PauseScope.GPU:
            return
        for net in networks.summary():
            name = str(net["network"])
            wanted = request.scope == PauseScope.ALL or request.network == name
            if wanted and net.get("paused") and not self.pauses.network_paused(name):
                await networks.act(name, "resume")

    def _holds(self) -> HoldsAnswer:
        """The user's holds, and every hold on each GPU (the guard's too)."""
        legacy = []
        if self.parts.networks is not None:
            legacy = [str(n["network"]) for n in self.parts.networks.summary() if n.get("paused")]
        holds = view.user_holds(self.pauses.to_json()["items"], legacy, self.started_ts)
        guard = self.parts.guard
        gpus = {}
        for info in self.monitor.infos:
            mine = [h for h in holds if h.covers_gpu(info.index)]
            from_guard = view.guard_hold(guard.decision(info.index)) if guard else None
            gpus[info.index] = view.first_hold_first([*mine, *([from_guard] if from_guard else [])])
        return HoldsAnswer(user_holds=holds, gpus=gpus)

    async def _apply_pauses(self) -> None:
        """Make the work follow the pauses (one change at a time, in order)."""
        hook = self.parts.apply_pauses
        if hook is None or self.stopping:
            return
        async with self._pause_lock:
            try:
                await hook(self.pauses)
            except Exception:
                log.exception("applying the pauses to the work failed")

    def _announce_resume(self, entry: PauseEntry, how: str) -> None:
        self.publish(
            "user.resume",
            f"Resumed {entry.describe()} ({how})",
            gpu_index=int(entry.target) if entry.scope == "gpu" else None,
            network=str(entry.target) if entry.scope == "network" else None,
            data={**entry.to_json(), "how": how},
        )

    def _schedule_expiry(self) -> None:
        """Arrange a wake-up at the earliest pause end (no polling while idle)."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        ends = [i["until_ts"] for i in self.pauses.to_json()["items"] if i["until_ts"]]
        if ends:
            delay = max(0.0, min(ends) - self.clock()) + 0.01
            self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        for entry in self.pauses.expire():
            self._announce_resume(entry, "the pause time is over")
        self._schedule_expiry()
        if self.parts.apply_pauses is not None:
            task = asyncio.get_running_loop().create_task(self._apply_pauses())
            self._tasks.add(task)  # a reference, so the task is not collected mid-way
            task.add_done_callback(self._tasks.discard)


def _clock_text(ts: float) -> str:
    moment = datetime.fromtimestamp(ts)
    today = datetime.now().date()
    return moment.strftime("%H:%M" if moment.date() == today else "%a %H:%M")
