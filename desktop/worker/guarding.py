"""The guard loop: the pure guards of desktop/guard, made to act on the worker's real work.

Why a loop of its own: the thermal, activity and schedule guards and the arbiter only
decide; something must feed them (every GPU sample, a process probe every 2 s, the
GPU's process list every 10 s, the user's pauses and the settings), carry out what the
arbiter orders (pause, stop or kill the jobs on a GPU, lower or restore its power limit,
slice work into a duty cycle, pause or stop a network; see guard_plan.py), and turn each
order and its reason into an event.

Samples arrive on the worker's event loop, which must never wait for Docker, so
``on_sample`` only feeds the thermal guard (pure, microseconds) and wakes the guard
thread, which decides and acts at once: a heat pause reaches the container in well under
a second. The same thread probes for games every ``tick_s``, and looks at the GPU's
process list early when a reading hints at a newcomer (desktop/guard/gpu_use.py): a
program on the GPU stops work within a sample period plus at most 3 s. ``inline=True``
runs everything on the caller's thread (tests, the simulated closed loop). The guard acts
through ``GuardActions`` (GuardActionsImpl: the job service, supervisor and backend).
At shutdown the thread stops before the jobs (``stop``) and the power limits come back
after them (``close``): see power.GuardLifecycle.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop.guard.activity import ActivityObservation
from desktop.guard.activity_probe import probe_fullscreen, probe_idle_seconds, probe_processes
from desktop.guard.gpu_use import PROCESS_LIST_EVERY_S
from desktop.model import Event, GpuInfo, GpuSample
from desktop.worker import guard_settings as gs
from desktop.worker.guard_actions import GuardActions, GuardActionsImpl
from desktop.worker.guard_gpu import GpuGuards, GuardReads
from desktop.worker.guard_plan import Planner, Shared, safe
from desktop.worker.guard_settings import UserInputs
from desktop.worker.power import STATE_FILE, GuardLifecycle, PowerKeeper, PowerRestarts
from desktop.worker.power import can_set_power_limits as can_set_power_limits

__all__ = [
    "GuardActions",
    "GuardActionsImpl",
    "GuardLifecycle",
    "GuardLoop",
    "PROCESS_LIST_EVERY_S",
    "Probes",
    "can_set_power_limits",
]

log = logging.getLogger(__name__)

TICK_S = 2.0  # activity probe and schedule: a few ms each, and a game stops work in < 5 s


@dataclass(frozen=True)
class Probes:
    """What the activity guard looks at; tests pass their own."""

    processes: Callable[[], set[str]] = probe_processes
    fullscreen: Callable[[], bool | None] = probe_fullscreen
    idle_seconds: Callable[[], float | None] = probe_idle_seconds


class GuardLoop(UserInputs, PowerRestarts, GuardReads):
    """Feeds the guards, runs the arbiter and carries out its actions (see module doc).

    Args:
        backend_devices: the GPUs (``GpuMonitor.infos``).
        settings_get: reads one settings key in force (``lambda k: store.current.get(k)``).
        actions: what the guard acts through.
        on_event: receives every guard event, from the guard thread.
        clock: the worker's clock (simulated time in simulation).
        can_set_power_limit: the process may change power limits (else duty-cycling).
        data_dir: where ``power-limits.json`` lives (None: remember nothing).
        probes: the activity probes (psutil names, full screen, idle time).
        inline: no guard thread; everything runs in the caller (tests).
        tick_s: how often the guard thread probes activity and the schedule.
    """

    def __init__(
        self,
        backend_devices: list[GpuInfo],
        settings_get: Callable[[str], Any],
        actions: GuardActions,
        on_event: Callable[[Event], None],
        clock: Callable[[], float] = time.time,
        can_set_power_limit: bool = False,
        *,
        data_dir: Path | None = None,
        probes: Probes | None = None,
        inline: bool = False,
        tick_s: float = TICK_S,
    ) -> None:
        self.actions, self.on_event, self.clock = actions, on_event, clock
        self.settings_get = settings_get
        self.probes = probes or Probes()
        self.inline, self.tick_s = inline, tick_s
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self.power = PowerKeeper(backend_devices, data_dir / STATE_FILE if data_dir else None)
        self._values = gs.read_values(settings_get)
        now = clock()
        self._gpus = {
            info.index: GpuGuards(
                info, self._values, self.power.original(info.index), can_set_power_limit, now
            )
            for info in backend_devices
        }
        self._shared = Shared()
        self._plan = Planner(
            actions, self.power, self._gpus, self._shared, self._lock, on_event, clock
        )
        self._day = time.localtime(now).tm_yday
        self._seen = ActivityObservation()  # the last round's probes (for early looks)
        self._pending: set[int] = set()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        for g in self._gpus.values():
            self._report_policy_problems(g, now)

    # --- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        """Re-apply the limits the previous run had set, then start the guard thread."""
        self.reapply_held_limits()
        if not self.inline and self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="guard", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the guard thread: it acts no more (the jobs are stopped next)."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def close(self) -> None:
        """Stop the guard thread and put back every power limit the app lowered."""
        self.stop()
        self.restore_power_limits()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the guard thread has acted on everything asked so far."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while (self._pending or self._busy) and self._thread is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    # --- inputs -----------------------------------------------------------------------

    def on_sample(self, sample: GpuSample) -> None:
        """Feed one reading; the arbiter runs at once (a pause reaches the job in < 1 s)."""
        with self._lock:
            g = self._gpus.get(sample.gpu_index)
            if g is None or self._stopping:
                return
            g.observe(sample)
        self._request(sample.gpu_index, sample.ts)

    def on_sample_failure(self, gpu: int, code: str, count: int = 1) -> None:
        """Failed reads (``gpu_lost`` is an emergency at once; 3 others pause work)."""
        now = self.clock()
        with self._lock:
            g = self._gpus.get(gpu)
            if g is None:
                return
            for _ in range(max(1, count)):
                g.thermal_decision = g.thermal.observe_failure(now, code)
        self._request(gpu, now)

    def on_sampler_event(self, event: Event) -> None:
        """The sampler's health events: ``gpu.lost`` and ``sensor.failure`` (3 failed reads)."""
        gpu = event.gpu_index
        g = self._gpus.get(gpu) if gpu is not None else None
        if g is None:
            return
        if event.kind == "gpu.lost":
            self.on_sample_failure(g.info.index, "gpu_lost")
        elif event.kind == "sensor.failure":
            code = str(event.data.get("code") or "read_error")
            self.on_sample_failure(g.info.index, code, g.thermal.policy.failed_reads_limit)

    def watching(self, sink: Callable[[Event], None]) -> Callable[[Event], None]:
        """``sink`` that also hands the sampler's health events to the guard (bus.sink)."""

        def both(event: Event) -> None:
            sink(event)
            self.on_sampler_event(event)

        return both

    def on_processes(self, gpu: int, processes: list[Any]) -> None:
        """A fresh NVML process list of ``gpu`` (when the sampler fetched one)."""
        with self._lock:
            g = self._gpus.get(gpu)
            if g is not None:
                g.looks.handed(processes, self.clock())

    # --- the periodic round ------------------------------------------------------------

    def tick(self, now: float | None = None) -> None:
        """Probe activity, check the schedule, settings and staleness; act (every ~2 s)."""
        now = self.clock() if now is None else now
        self.apply_settings()
        gaming = bool(self._values.get("gaming.enabled", True))
        names: set[str] = safe(self.probes.processes, set()) if gaming else set()
        fullscreen = safe(self.probes.fullscreen, None) if gaming else None
        idle = (
            safe(self.probes.idle_seconds, None) if self._values.get("gaming.idle_only") else None
        )
        self._seen = ActivityObservation(frozenset(names), None, fullscreen, idle)
        day = time.localtime(now).tm_yday
        new_day, self._day = day != self._day, day
        for gpu, g in list(self._gpus.items()):
            self._observe_activity(g, now)
            with self._lock:
                if new_day:
                    g.thermal.reset_day()
                g.schedule_decision = g.schedule.observe(now)
                g.check_stale(now)
            self._evaluate(gpu, now, looked=True)

    def _observe_activity(self, g: GpuGuards, now: float) -> None:
        """The activity guard's round: the last probes and, when due, the process list."""
        listed, acts = None, self.actions
        if self._values.get("gaming.enabled", True):
            fetch = lambda: safe(lambda: acts.gpu_processes(g.info.index), None)  # noqa: E731
            listed = g.looks.foreign(fetch, lambda: safe(acts.our_pids, set()), now)
        observation = replace(self._seen, gpu_processes=listed)
        with self._lock:
            g.activity_decision = g.activity.observe(observation, now)

    # --- deciding and acting ----------------------------------------------------------

    def _request(self, gpu: int, now: float) -> None:
        if self.inline:
            self._evaluate(gpu, now)
            return
        with self._wake:
            self._pending.add(gpu)
            self._wake.notify_all()

    def _request_all(self) -> None:
        for gpu in list(self._gpus):
            self._request(gpu, self.clock())

    def _serve(self) -> None:
        """The guard thread: act on what samples asked for at once; tick every ``tick_s``."""
        next_tick = time.monotonic()
        while True:
            with self._wake:
                while not self._pending and not self._stopping:
                    left = next_tick - time.monotonic()
                    if left <= 0:
                        break
                    self._wake.wait(left)
                if self._stopping:
                    return
                pending, self._pending, self._busy = self._pending, set(), True
            try:
                for gpu in sorted(pending):
                    _guarded(self._evaluate, gpu, self.clock())
                if time.monotonic() >= next_tick:
                    _guarded(self.tick)
                    next_tick = time.monotonic() + self.tick_s
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def _evaluate(self, gpu: int, now: float, looked: bool = False) -> None:
        g = self._gpus.get(gpu)
        if g is None:
            return
        if g.looks.look_now and not looked:  # a reading hinted at a newcomer on the GPU
            log.debug(
                "guard: GPU %s: an early look at its processes: %s", gpu, g.looks.watch.reason
            )
            self._observe_activity(g, now)
        self._plan.evaluate(g, now, lambda: self._stopping)


def _guarded(fn: Callable[..., object], *args: object) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - the guard thread must survive any bug
        log.exception("guard: %s failed", getattr(fn, "__name__", fn))
