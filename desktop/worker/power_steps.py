"""The reconciler's steps for a card's power limit: lower, restore, re-apply, put back.

Why apart: the power limit is the one actuator with memory across restarts (a limit
RigPilot lowered is remembered in power-limits.json, re-applied at the next start and held
until the card stays cool) and with a fallback (a card that refuses a limit is throttled by
duty-cycling instead), so its bookkeeping is kept away from the job and agent steps.
The reconciler calls ``ops`` under its lock and runs the steps outside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from desktop.guard.arbiter import Action, ActionKind, Arbiter
from desktop.model import Event
from desktop.worker.actuators import CardActuator
from desktop.worker.gpu_guards import GpuGuards
from desktop.worker.power import PowerKeeper
from desktop.worker.work_state import WORK_OFF, GpuWork, Op


class PowerSteps:
    """Decides and carries out the power-limit steps of every GPU."""

    def __init__(
        self,
        guards: Mapping[int, GpuGuards],
        work: Mapping[int, GpuWork],
        power: PowerKeeper,
        card: CardActuator,
        arbiter: Arbiter,
        lock: Any,
        publish: Callable[[Event], None],
        error: Callable[[int, str, BaseException], None],
        clock: Callable[[], float],
    ) -> None:
        self.guards, self.work, self.power, self.card = guards, work, power, card
        self.arbiter, self._lock = arbiter, lock
        self.publish, self.error, self.clock = publish, error, clock

    def ops(
        self, g: GpuGuards, w: GpuWork, arbiter_reason: tuple[str, str] | None, now: float
    ) -> list[Op]:
        """The card's limit is the lowest of: the throttle's, the limit re-applied at start
        (while still needed) and the user's cap for work (while work runs)."""
        gpu = g.info.index
        arbiter_w = self.arbiter.applied_power_limit(gpu)
        held = self.power.held(gpu)
        if held is not None and g.hold_done(arbiter_w, held, w.applied in WORK_OFF[:3], now):
            self.power.release(gpu)
            held = None
        cap = g.ceiling_w if w.work_runs and g.ceiling_w != self.power.original(gpu) else None
        wanted = min((x for x in (arbiter_w, held, cap) if x is not None), default=None)
        if wanted == self.power.applied(gpu):
            return []
        if wanted is not None and (wanted == w.power_failed_w or not g.can_set_power_limit):
            return []
        if arbiter_reason is not None:
            reason, source = arbiter_reason
        elif wanted is not None and wanted == cap:
            reason, source = f"Your cap for work of {cap:.0f} W applies while work runs.", "user"
        elif wanted is not None:
            reason, source = f"The {wanted:.0f} W limit stays until the GPU stays cool.", "thermal"
        else:
            reason = "The GPU no longer needs a lower power limit: your own limit is back."
            source = "thermal"
        return [self.op(gpu, wanted, reason, source, now)]

    def op(self, gpu: int, watts: float | None, reason: str, source: str, now: float) -> Op:
        """Set ``watts`` on the card, or (None) put the user's own limit back."""
        kind: ActionKind = "set_power_limit" if watts is not None else "restore_power_limit"
        original = self.power.original(gpu)
        shown = watts if watts is not None else original
        event = Action("gpu", None, kind, shown, reason, None, source).to_event(gpu, now)

        def call() -> None:
            if watts is not None:
                self.card.set_power_limit(gpu, watts)
            elif original is not None:
                self.card.restore_power_limit(gpu, original)
            with self._lock:
                self.power.record(gpu, watts)
                self.work[gpu].power_failed_w = None

        what = (
            f"set the power limit of GPU {gpu} to {watts:.0f} W"
            if watts is not None
            else f"put back the power limit of GPU {gpu}"
        )
        return Op(what, call, gpu, power=watts, event=event)

    def failed(self, op: Op, exc: BaseException) -> None:
        """After a failed power call (under the lock): no retry of that value, and a
        refusal for want of rights switches the GPU to duty-cycling."""
        if op.gpu is None or op.power is None:
            return
        self.work[op.gpu].power_failed_w = op.power
        if self.guards[op.gpu].lost_power_privilege(exc):
            self.arbiter.forget(op.gpu)
            self.work[op.gpu].power_failed_w = None

    def reapply_held(self) -> list[Op]:
        """The limits the previous run had set, to set again (held until the card stays
        cool: limits do not survive a restart)."""
        now, ops = self.clock(), []
        for gpu, watts in self.power.holds().items():
            g = self.guards.get(gpu)
            if g is None or not g.can_set_power_limit:
                self.power.release(gpu)
                continue
            reason = (
                f"Re-applied the {watts:.0f} W power limit RigPilot had set before it stopped "
                "(limits do not survive a restart); it is lifted once the GPU stays cool."
            )
            ops.append(self.op(gpu, watts, reason, "thermal", now))
        return ops

    def restore_all(self) -> None:
        """Put back the user's own limit on every card RigPilot lowered (the worker stops)."""
        now = self.clock()
        for gpu, original in self.power.lowered().items():
            if gpu not in self.guards or original is None:
                continue
            try:
                self.card.restore_power_limit(gpu, original)
            except Exception as exc:  # noqa: BLE001 - report it, restore the other cards
                self.error(gpu, f"could not put back the power limit of {original:.0f} W", exc)
                continue
            self.power.record_restored_for_stop(gpu)
            reason = (
                f"RigPilot's worker is stopping: your own power limit of {original:.0f} W is back."
            )
            event = Action("gpu", None, "restore_power_limit", original, reason, None, "thermal")
            self.publish(event.to_event(gpu, now))
