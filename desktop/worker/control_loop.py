"""The control loop: feeds the guards, and has the reconciler act, on a thread of its own.

Why a thread: samples arrive on the worker's event loop, which must never wait for Docker
or a network agent. ``on_sample`` only feeds the thermal guard (pure, microseconds) and
wakes the thread, which has the reconciler act at once: a heat pause reaches the
container in well under a second. The same thread probes for games every ``tick_s``,
checks the schedule, stale readings, new settings and the user's timed pauses, and looks
at the GPU's process list (paced by desktop/guard/gpu_use.py: every 10 s, or early when
a reading hints at a newcomer). ``inline=True`` runs everything on the caller's thread
(tests, the simulated closed loop).

At a stop the thread stops before the jobs do (``stop``), and the power limits come back
after them (``restore``): the worker's lifecycle orders the two (see ``lifecycle``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop import clock as wall
from desktop.guard.activity import ActivityObservation
from desktop.guard.activity_probe import probe_fullscreen, probe_idle_seconds, probe_processes
from desktop.model import Event, GpuInfo, GpuSample, Severity
from desktop.worker import guard_settings as gs
from desktop.worker.actuators import AgentControl, CardActuator, JobActuator, NoAgents
from desktop.worker.gpu_guards import GpuGuards
from desktop.worker.power import STATE_FILE, PowerKeeper
from desktop.worker.reconciler import GpuRecord, Ranking, Reconciler
from desktop.worker.user_holds import UserHolds, describe
from desktop.worker.work_state import LOCAL

log = logging.getLogger(__name__)

TICK_S = 2.0  # activity probe and schedule: a few ms each, and a game stops work in < 5 s


@dataclass(frozen=True)
class Probes:
    """What the activity guard looks at; tests pass their own."""

    processes: Callable[[], set[str]] = probe_processes
    fullscreen: Callable[[], bool | None] = probe_fullscreen
    idle_seconds: Callable[[], float | None] = probe_idle_seconds


class ControlLoop:
    """Feeds the guards and has the reconciler act (see the module docstring).

    Args:
        infos: the GPUs (``GpuMonitor.infos``).
        settings_get: reads one settings key in force (``store.current.get``).
        user: the user's holds.
        jobs, card, agents: the reconciler's actuators.
        on_event: receives every event, from the loop's thread.
        clock: the worker's clock.
        can_set_power_limit: the process may change power limits (else duty-cycling).
        data_dir: where ``power-limits.json`` lives (None: remember nothing).
    """

    def __init__(
        self,
        infos: list[GpuInfo],
        settings_get: Callable[[str], Any],
        user: UserHolds,
        jobs: JobActuator,
        card: CardActuator,
        on_event: Callable[[Event], None],
        clock: Callable[[], float] = wall.read,
        can_set_power_limit: bool = False,
        *,
        agents: AgentControl | None = None,
        data_dir: Path | None = None,
        probes: Probes | None = None,
        inline: bool = False,
        tick_s: float = TICK_S,
        ranking: Ranking | None = None,
    ) -> None:
        self.settings_get, self.user, self.card = settings_get, user, card
        self.jobs, self.on_event, self.clock = jobs, on_event, clock
        self.probes = probes or Probes()
        self.inline, self.tick_s = inline, tick_s
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self.power = PowerKeeper(infos, data_dir / STATE_FILE if data_dir else None)
        self._values = gs.read_values(settings_get)
        now = clock()
        self.guards = {
            info.index: GpuGuards(
                info, self._values, self.power.original(info.index), can_set_power_limit, now
            )
            for info in infos
        }
        self.reconciler = Reconciler(
            self.guards,
            user,
            jobs,
            card,
            agents or NoAgents(),
            self.power,
            self._lock,
            on_event,
            clock,
            inline=inline,
            ranking=ranking,
        )
        self._day = time.localtime(now).tm_yday
        self._seen = ActivityObservation()  # the last round's probes (for early looks)
        self._pending: set[int] = set()
        self._rig_pending = False
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        for g in self.guards.values():
            self._report_policy_problems(g, now)

    # --- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        """Re-apply the limits the previous run had set, then start the loop's thread."""
        self.reconciler.reapply_held_limits()
        self._request_all()
        if not self.inline and self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="control", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the loop's thread: it acts no more (the jobs are stopped next)."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def restore(self) -> None:
        """Stop (if still running), then put back every power limit RigPilot lowered."""
        self.stop()
        self.reconciler.restore_power_limits()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the loop has acted on everything asked so far."""
        if self.inline:
            return True
        deadline = time.monotonic() + timeout
        with self._wake:
            while (self._pending or self._rig_pending or self._busy) and self._thread is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    # --- inputs -----------------------------------------------------------------------

    def on_sample(self, sample: GpuSample) -> None:
        """Feed one reading; the reconciler acts at once (a pause reaches the job in < 1 s)."""
        with self._lock:
            g = self.guards.get(sample.gpu_index)
            if g is None or self._stopping:
                return
            w = self.reconciler.work[sample.gpu_index]
            g.observe(sample, ours_running=w.jobs_here and w.applied == "run")
        self._request(sample.gpu_index)

    def on_sampler_event(self, event: Event) -> None:
        """The sampler's health events: ``gpu.lost`` and ``sensor.failure`` (3 failed reads)."""
        g = self.guards.get(event.gpu_index) if event.gpu_index is not None else None
        if g is None or event.kind not in ("gpu.lost", "sensor.failure"):
            return
        now = self.clock()
        with self._lock:
            if event.kind == "gpu.lost":
                g.observe_failure(now, "gpu_lost")
            else:
                code = str(event.data.get("code") or "read_error")
                g.observe_failure(now, code, g.thermal.policy.failed_reads_limit)
        self._request(g.info.index)

    def watching(self, sink: Callable[[Event], None]) -> Callable[[Event], None]:
        """``sink`` that also hands the sampler's health events to the guards (bus.sink)."""

        def both(event: Event) -> None:
            sink(event)
            self.on_sampler_event(event)

        return both

    def holds_changed(self, resumed_gpus: list[int] | None = None) -> None:
        """The user paused or resumed: act on every GPU now. Resuming GPUs acknowledges
        their emergency or stop for the day (they wait to be cool, never restart hot)."""
        if resumed_gpus:
            self.reconciler.acknowledge(resumed_gpus, self.clock())
        self._request_all()

    async def settle(self) -> None:
        """Wait, off the event loop, until the reconciler acted on the latest change."""
        await asyncio.to_thread(self.flush)

    def apply_settings(self) -> None:
        """Use the settings in force (the loop also notices changes by itself each tick)."""
        values = gs.read_values(self.settings_get)
        now = self.clock()
        with self._lock:
            if values == self._values:
                return
            self._values = values
            for g in self.guards.values():
                g.apply_values(values, self.power.original(g.info.index), now)
                self._report_policy_problems(g, now)
        self._request_all()

    def extra_validators(self) -> list[gs.Validator]:
        """For ``SettingsStore.patch``: refuse limits unsafe for any of these cards."""
        return gs.validators([g.info for g in self.guards.values()])

    # --- reading ----------------------------------------------------------------------

    def record(self, gpu: int) -> GpuRecord | None:
        return self.reconciler.record(gpu)

    def admission(self, gpu: int | None, network: str = LOCAL) -> str | None:
        return self.reconciler.admission(gpu, network)

    def owner_of(self, gpu: int) -> str | None:
        return self.reconciler.owner_of(gpu)

    # --- the periodic round ------------------------------------------------------------

    def tick(self, now: float | None = None) -> None:
        """Probe activity, check the schedule, settings, staleness and the user's timed
        pauses; act on every GPU (every ~2 s)."""
        now = self.clock() if now is None else now
        self.apply_settings()
        for hold in self.user.expire():
            self.on_event(
                Event(
                    now,
                    "user.resume",
                    Severity.INFO,
                    f"Resumed {describe(hold)} (the pause time is over)",
                    gpu_index=hold.gpu,
                    network=hold.network,
                    data={**hold.to_json(), "how": "the pause time is over"},
                )
            )
        gaming = bool(self._values.get("gaming.enabled", True))
        names: set[str] = _safe(self.probes.processes, set()) if gaming else set()
        fullscreen = _safe(self.probes.fullscreen, None) if gaming else None
        idle_only = self._values.get("gaming.idle_only")
        idle = _safe(self.probes.idle_seconds, None) if idle_only else None
        self._seen = ActivityObservation(frozenset(names), None, fullscreen, idle)
        day = time.localtime(now).tm_yday
        new_day, self._day = day != self._day, day
        for gpu, g in list(self.guards.items()):
            self._observe_activity(g, now)
            with self._lock:
                if new_day:
                    g.thermal.reset_day()
                g.schedule_decision = g.schedule.observe(now)
                g.check_stale(now)
            self._reconcile(gpu, now, looked=True)
        self.reconciler.reconcile_rig(lambda: self._stopping)

    def _observe_activity(self, g: GpuGuards, now: float) -> None:
        """The activity guard's round: the last probes and, when due, the process list."""
        listed, index = None, g.info.index
        if self._values.get("gaming.enabled", True):
            card, jobs, agents = self.card, self.jobs, self.reconciler.agents
            listed = g.looks.foreign(
                lambda: _safe(lambda: card.gpu_processes(index), None),
                lambda: _safe(jobs.our_pids, set()) | _safe(agents.agent_pids, set()),
                now,
            )
        observation = replace(self._seen, gpu_processes=listed)
        with self._lock:
            g.activity_decision = g.activity.observe(observation, now)

    # --- deciding and acting ----------------------------------------------------------

    def _request(self, gpu: int) -> None:
        if self.inline:
            self._reconcile(gpu, self.clock())
            return
        with self._wake:
            self._pending.add(gpu)
            self._wake.notify_all()

    def _request_all(self) -> None:
        if self.inline:
            for gpu in list(self.guards):
                self._reconcile(gpu, self.clock())
            self.reconciler.reconcile_rig(lambda: self._stopping)
            return
        with self._wake:
            self._pending.update(self.guards)
            self._rig_pending = True
            self._wake.notify_all()

    def _serve(self) -> None:
        """The loop's thread: act on what was asked at once; tick every ``tick_s``."""
        next_tick = time.monotonic()
        while True:
            with self._wake:
                while not (self._pending or self._rig_pending) and not self._stopping:
                    left = next_tick - time.monotonic()
                    if left <= 0:
                        break
                    self._wake.wait(left)
                if self._stopping:
                    return
                pending, self._pending = self._pending, set()
                rig, self._rig_pending = self._rig_pending, False
                self._busy = True
            try:
                for gpu in sorted(pending):
                    _guarded(self._reconcile, gpu, self.clock())
                if rig:
                    _guarded(self.reconciler.reconcile_rig, lambda: self._stopping)
                if time.monotonic() >= next_tick:
                    _guarded(self.tick)
                    next_tick = time.monotonic() + self.tick_s
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def _reconcile(self, gpu: int, now: float, looked: bool = False) -> None:
        g = self.guards.get(gpu)
        if g is None:
            return
        if g.looks.look_now and not looked:  # a reading hinted at a newcomer on the GPU
            log.debug("GPU %s: an early look at its processes: %s", gpu, g.looks.watch.reason)
            self._observe_activity(g, now)
        self.reconciler.reconcile(gpu, now, lambda: self._stopping)

    def _report_policy_problems(self, g: GpuGuards, now: float) -> None:
        if g.policy_problems:
            self.reconciler.publish(g.policy_event(now))


def _safe(fn: Callable[[], Any], default: Any) -> Any:
    try:
        return fn()
    except Exception:  # noqa: BLE001 - a probe that fails saw nothing
        log.debug("a probe failed", exc_info=True)
        return default


def _guarded(fn: Callable[..., object], *args: object) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - the loop's thread must survive any bug
        log.exception("%s failed", getattr(fn, "__name__", fn))
