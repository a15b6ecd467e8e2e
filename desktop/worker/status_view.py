"""``GET /status``: one snapshot of the rig, built in one place from the record.

Why one builder: the header, the cards, the Networks page, the tray, ``rigpilot status``
and the metrics must never disagree, so the one word for each GPU (working, waiting,
paused, emergency, unused, lost) and what holds it are decided here, from the
reconciler's record, the last sample and the networks' last states, once per answer.
Answered from memory (the status is polled often); never blocks, never writes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import msgspec

from desktop import __version__
from desktop.ipc import schema
from desktop.model import GpuState, Hold, HoldKind, NodeState
from desktop.settings import SettingsStore
from desktop.worker.control_loop import ControlLoop
from desktop.worker.gpus import GpuMonitor
from desktop.worker.reconciler import GpuRecord
from desktop.worker.user_holds import UserHolds


class NetworkSummaries(Protocol):
    def summary(self) -> list[dict[str, Any]]: ...


class JobCounts(Protocol):
    def running_count(self) -> int: ...

    def jobs_on(self, gpu_index: int) -> int: ...


def gpu_state(record: GpuRecord | None, jobs: int) -> GpuState:
    """The one word for a GPU (see ``desktop.model.GpuState``)."""
    if record is None:
        return GpuState.WORKING if jobs else GpuState.UNUSED
    if record.lost:
        return GpuState.LOST
    top = record.holds[0] if record.holds else None
    if top is not None and top.kind is HoldKind.EMERGENCY:
        return GpuState.EMERGENCY
    if record.paused_by is not None:
        return GpuState.PAUSED
    if jobs or record.busy:
        return GpuState.WORKING
    return GpuState.WAITING if record.owner is not None else GpuState.UNUSED


class StatusView:
    """Builds the ``StatusAnswer`` (and the per-GPU part other answers reuse)."""

    def __init__(
        self,
        mode: str,
        monitor: GpuMonitor,
        user: UserHolds,
        control: ControlLoop | None,
        clock: Callable[[], float],
        *,
        settings: SettingsStore | None = None,
        networks: NetworkSummaries | None = None,
        jobs: JobCounts | None = None,
    ) -> None:
        self.mode, self.monitor, self.user, self.control = mode, monitor, user, control
        self.clock, self.settings, self.networks, self.jobs = clock, settings, networks, jobs
        self.started_ts = clock()

    def gpus(self) -> list[schema.GpuStatus]:
        return [self._gpu(i) for i in range(len(self.monitor.infos))]

    def build(
        self,
        *,
        last_event_seq: int,
        earnings_today: dict[str, Any] | None,
        components: schema.Components,
        problems: Sequence[schema.WorkerProblem] = (),
    ) -> schema.StatusAnswer:
        now = self.clock()
        raw = self.networks.summary() if self.networks is not None else []
        gpus = self.gpus()
        error = self.monitor.error
        return schema.StatusAnswer(
            version=__version__,
            pid=os.getpid(),
            mode=schema.Mode(self.mode),
            now=now,
            started_ts=self.started_ts,
            uptime_s=round(now - self.started_ts, 3),
            user_holds=self.user.all(),
            gpus=gpus,
            gpu_error=None
            if error is None
            else schema.GpuProblem(code=error.code, cause=error.cause, fix=error.fix),
            networks=[self._network(n, gpus) for n in raw],
            jobs_running=self.jobs.running_count() if self.jobs is not None else None,
            earnings_today=None
            if earnings_today is None
            else msgspec.convert(earnings_today, schema.EarningsTotals, strict=False),
            sampling_interval_s=self.monitor.interval_s,
            settings_warnings=list(self.settings.warnings) if self.settings else [],
            last_event_seq=last_event_seq,
            components=components,
            problems=list(problems),
        )

    # --- parts ------------------------------------------------------------------------

    def _gpu(self, position: int) -> schema.GpuStatus:
        info = self.monitor.infos[position]
        now = self.clock()
        sample = self.monitor.current(info.index, now)  # None once it stopped answering
        gone = sample is None and self.monitor.buffer.latest_of(info.index) is not None
        record = self.control.record(info.index) if self.control is not None else None
        jobs = self.jobs.jobs_on(info.index) if self.jobs is not None else 0
        owner = record.owner if record is not None else None
        state = gpu_state(record, jobs)
        if sample is not None:
            limit = sample.power_limit_w
        else:  # the limit read at start until the first reading; unknown once it is gone
            limit = None if gone else info.power.enforced_w
        power = schema.PowerView(
            limit_w=limit,
            user_w=record.user_w if record else info.power.enforced_w,
            cap_w=record.cap_w if record else None,
            duty_cycle=record.duty_cycle if record else None,
        )
        return schema.GpuStatus(
            index=info.index,
            info=info,
            sample=sample,
            degraded=self.monitor.degraded(info.index, now),
            state=state,
            owner=owner,
            holds=list(record.holds) if record else self.user.covering_gpu(info.index),
            work=record.work if record else "run",
            jobs_running=jobs,
            power=power,
            thermal=self._thermal(info.index, current=not gone),
        )

    def _thermal(self, index: int, *, current: bool) -> schema.ThermalView | None:
        """The guard's state; its readings only while they are current (see ``_gpu``)."""
        g = self.control.guards.get(index) if self.control is not None else None
        if g is None:
            return None
        st, p = g.thermal.state, g.thermal.policy
        return schema.ThermalView(
            state=st.state.value,
            reason=st.reason,
            core_c=st.core_c if current else None,
            mem_c=st.mem_c if current else None,
            recent_pauses=st.recent_pauses,
            vram_temperature_reported=st.vram_temperature_reported,
            limits=schema.ThermalLimits(
                soft_c=p.soft_c,
                pause_c=p.pause_c,
                resume_c=p.resume_c,
                emergency_c=p.emergency_c,
                mem_pause_c=p.mem_pause_c,
            ),
        )

    def _network(self, raw: dict[str, Any], gpus: list[schema.GpuStatus]) -> schema.NetworkBrief:
        network = str(raw["network"])
        held: Hold | None = self.user.covering_network(network)
        return schema.NetworkBrief(
            network=network,
            display_name=str(raw.get("display_name") or network),
            state=NodeState(raw["state"]),
            enrolled=bool(raw.get("enrolled")),
            held=held if raw.get("enrolled") else None,
            gpus=[g.index for g in gpus if g.owner == network],
            message=str(raw.get("message") or ""),
            next_step=str(raw.get("next_step") or ""),
        )
