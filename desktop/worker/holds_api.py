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

from desktop.ipc import schema
from desktop.ipc.protocol import ApiError
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
    ) -> None:
        self.user, self.control, self.publish, self.clock = user, control, publish, clock
        self.gpus, self.networks = gpus, networks
        self._lock = asyncio.Lock()

    async def pause(self, request: schema.PauseRequest) -> schema.HoldsAnswer:
        self._check_target(request.scope, request.gpu, request.network)
        until = self._check_until(request.until_ts)
        words = request.reason.strip()
        if len(words) > MAX_REASON_CHARS or any(c in words for c in "\r\n\0"):
            raise _bad(
                "reason", f"reason must be one line of at most {MAX_REASON_CHARS} characters"
            )
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
        if scope is schema.PauseScope.GPU:
            have = sorted(self.gpus())
            if gpu is None or gpu not in have:
                shown = ", ".join(map(str, have)) or "none"
                raise ApiError(
                    "not_found" if gpu is not None else "invalid_request",
                    f"there is no GPU {gpu}; this worker's GPUs: {shown}",
                    404 if gpu is not None else 422,
                    "gpu",
                )
        if scope is schema.PauseScope.NETWORK:
            known = sorted(self.networks())
            if network is None or network not in known:
                raise ApiError(
                    "not_found" if network else "invalid_request",
                    f"there is no network {network!r}; known: {', '.join(known) or 'none'}",
                    404 if network else 422,
                    "network",
                )

    def _check_until(self, until: float | None) -> float | None:
        if until is None:
            return None
        now = self.clock()
        if not math.isfinite(until):
            raise _bad("until_ts", "until_ts must be a time in seconds since the epoch")
        if until <= now:
            raise _bad("until_ts", "until_ts is in the past; give a time in the future")
        if until - now > MAX_PAUSE_S:
            raise _bad("until_ts", "a timed pause can last at most a year")
        return float(until)


def _bad(field: str, message: str) -> ApiError:
    return ApiError("invalid_request", message, 422, field=field)
