"""``POST /pause`` and ``POST /resume``: the one way a person pauses and resumes work.

Why here and so small: a pause is a user hold in the record (user_holds.py); this only
checks the request against the worker it reached (the GPU exists, the network is known,
the end is in the future and within a year), writes the hold, announces it and asks the
control loop to act. It never touches a job or an agent itself, and a resume only lifts
the user's own hold: heat, a game or the schedule keep theirs.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Collection

from desktop.errors import Conflict, NotFound, Refused
from desktop.ipc import schema
from desktop.model import Event, Hold, Severity
from desktop.worker.control_loop import ControlLoop
from desktop.worker.user_holds import UserHolds, describe

MAX_PAUSE_S = 366 * 86400.0
MAX_REASON_CHARS = 200


class HoldsApi:
    """Pause and resume over the user's holds (see the module docstring).

    Args:
        gpus: the indices of this worker's GPUs (read at each request).
        networks: the ids of the networks this worker knows (read at each request).
    """

    def __init__(
        self,
        user: UserHolds,
        control: ControlLoop | None,
        publish: Callable[[Event], None],
        clock: Callable[[], float],
        gpus: Callable[[], Collection[int]],
        networks: Callable[[], Collection[str]],
        enrolled: Callable[[], Collection[str]] = lambda: (),
    ) -> None:
        self.user, self.control, self.publish, self.clock = user, control, publish, clock
        self.gpus, self.networks, self.enrolled = gpus, networks, enrolled
        self._lock = asyncio.Lock()

    async def pause(self, request: schema.PauseRequest) -> schema.HoldsAnswer:
        self._check_target(request.scope, request.gpu, request.network)
        if request.network is not None and request.network not in self.enrolled():
            raise Conflict(
                f"{request.network} is not enrolled, so there is nothing of it to pause; "
                f"enroll it first (rigpilot enroll {request.network})",
                field="network",
            )
        until = self._check_until(request.until_ts)
        words = request.reason.strip()
        if len(words) > MAX_REASON_CHARS or any(c in words for c in "\r\n\0"):
            message = f"reason must be one line of at most {MAX_REASON_CHARS} characters"
            raise Refused(message, field="reason")
        async with self._lock:
            hold = self.user.pause(request.scope.value, request.gpu, request.network, until, words)
            self.publish(
                Event(
                    self.clock(),
                    "user.pause",
                    Severity.INFO,
                    f"Paused {describe(hold)}" + (f" ({words})" if words else ""),
                    gpu_index=hold.gpu,
                    network=hold.network,
                    data=hold.to_json(),
                )
            )
            await self._act([])
        return self.answer()

    async def resume(self, request: schema.ResumeRequest) -> schema.HoldsAnswer:
        self._check_target(request.scope, request.gpu, request.network)
        async with self._lock:
            lifted = self.user.resume(request.scope.value, request.gpu, request.network)
            for hold in lifted:
                self._announce_resume(hold)
            if request.scope is schema.PauseScope.ALL:
                acknowledged = list(self.gpus())
            elif request.scope is schema.PauseScope.GPU and request.gpu is not None:
                acknowledged = [request.gpu]
            else:
                acknowledged = []
            await self._act(acknowledged)
        return self.answer()

    def answer(self) -> schema.HoldsAnswer:
        """The user's holds now, and every hold still on each GPU (heat, a game...)."""
        gpus: dict[int, list[Hold]] = {}
        for index in self.gpus():
            record = self.control.record(index) if self.control is not None else None
            gpus[index] = list(record.holds) if record else self.user.covering_gpu(index)
        return schema.HoldsAnswer(user_holds=self.user.all(), gpus=gpus)

    # --- internals --------------------------------------------------------------------

    async def _act(self, acknowledged: list[int]) -> None:
        if self.control is not None:
            self.control.holds_changed(acknowledged)
            await self.control.settle()

    def _announce_resume(self, hold: Hold) -> None:
        self.publish(
            Event(
                self.clock(),
                "user.resume",
                Severity.INFO,
                f"Resumed {describe(hold)} (by you)",
                gpu_index=hold.gpu,
                network=hold.network,
                data={**hold.to_json(), "how": "by you"},
            )
        )

    def _check_target(self, scope: schema.PauseScope, gpu: int | None, network: str | None) -> None:
        """The request is well formed (the schema saw to it); does its target exist here?"""
        if scope is schema.PauseScope.GPU and gpu not in self.gpus():
            shown = ", ".join(map(str, sorted(self.gpus()))) or "none"
            raise NotFound(f"there is no GPU {gpu}; this worker's GPUs: {shown}", field="gpu")
        if scope is schema.PauseScope.NETWORK and network not in self.networks():
            known = ", ".join(sorted(self.networks())) or "none"
            raise NotFound(f"there is no network {network!r}; known: {known}", field="network")

    def _check_until(self, until: float | None) -> float | None:
        if until is None:
            return None
        now = self.clock()
        if not math.isfinite(until) or until <= now:
            raise Refused("until_ts is in the past; give a time in the future", field="until_ts")
        if until - now > MAX_PAUSE_S:
            raise Refused("a timed pause can last at most a year", field="until_ts")
        return float(until)
