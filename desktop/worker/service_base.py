"""What every part of the worker service shares: its optional components, the sample feed
that hands samples to them, and the service's state (monitor, bus, pauses, clock).

Why a base of its own: the service's routes are split by concern (status, pauses, settings;
see desktop/worker/service.py) and each reads the same state and publishes events the same
way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.errors import NotFound
from desktop.model import Event, GpuSample, Severity
from desktop.settings import SettingsStore
from desktop.worker.events import EventBus
from desktop.worker.gpus import GpuMonitor
from desktop.worker.pause import PauseState
from desktop.worker.ports import (
    EarningsPort,
    GuardPort,
    JobsPort,
    Lifecycle,
    NetworksPort,
    PauseHook,
    SampleListener,
    TelemetrySource,
)
from desktop.worker.telemetry import TelemetryBuffer

# One logger for every part, named as before the split, so log filters see the same name.
log = logging.getLogger("desktop.worker.service")


@dataclass
class Components:
    """The optional parts; ``None`` means "not wired into this worker".

    Attributes:
        on_sample: called on the loop with every kept sample, in order (must not block).
        lifecycle: started in order by ``start`` (after the bus and the sampler), closed
            in reverse order by ``close``.
        apply_pauses: applies the user's pauses to the work after every change.
    """

    jobs: JobsPort | None = None
    networks: NetworksPort | None = None
    earnings: EarningsPort | None = None
    guard: GuardPort | None = None
    telemetry_source: TelemetrySource | None = None
    settings: SettingsStore | None = None
    on_sample: list[SampleListener] = field(default_factory=list)
    lifecycle: list[Lifecycle] = field(default_factory=list)
    apply_pauses: PauseHook | None = None


class SampleFeed(TelemetryBuffer):
    """The in-memory telemetry that also hands each kept sample to the listeners.

    The monitor adds samples on the event loop, so listeners run there too, in order; a
    failing listener is logged and never stops the others or the buffer.
    """

    def __init__(self, listeners: list[SampleListener], capacity: int) -> None:
        super().__init__(capacity)
        self.listeners = listeners
        self._failed: set[int] = set()

    def add(self, sample: GpuSample) -> None:
        super().add(sample)
        if self.latest_of(sample.gpu_index) is not sample:
            return  # out of order: dropped by the buffer, so not handed on either
        for number, listener in enumerate(self.listeners):
            try:
                listener(sample)
            except Exception:
                if number not in self._failed:  # once per listener, not once a second
                    self._failed.add(number)
                    log.exception("a sample listener failed")

    def oldest_ts(self, gpu: int | None) -> float | None:
        """The oldest sample memory holds (of one GPU, or the newest of the oldest)."""
        rings = [self._samples.get(gpu)] if gpu is not None else list(self._samples.values())
        firsts = [ring[0].ts for ring in rings if ring]
        return max(firsts) if firsts else None


class ServiceBase:
    """The state of the worker service and what every route uses (see WorkerService)."""

    def __init__(
        self,
        *,
        mode: str,
        monitor: GpuMonitor,
        parts: Components | None = None,
        log_path: Path | None = None,
        bus: EventBus | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.mode = mode
        self.monitor = monitor
        self.parts = parts or Components()
        self.log_path = log_path
        self.bus = bus or EventBus()
        self.clock = clock
        self.pauses = PauseState(clock)
        self.started_ts = clock()
        self._stop = asyncio.Event()
        self._expiry: asyncio.TimerHandle | None = None
        self._pause_lock = asyncio.Lock()
        self._started: list[Lifecycle] = []
        self._tasks: set[asyncio.Task[None]] = set()
        if isinstance(monitor.buffer, SampleFeed):
            monitor.buffer.listeners = self.parts.on_sample
        else:  # before sampling starts, so nothing is lost
            monitor.buffer = SampleFeed(self.parts.on_sample, monitor.buffer.capacity)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def publish(
        self, kind: str, message: str, severity: Severity = Severity.INFO, **kw: Any
    ) -> None:
        self.bus.publish(Event(self.clock(), kind, severity, message, **kw))

    def _check_gpu(self, gpu: int | None) -> None:
        indices = [info.index for info in self.monitor.infos]
        if gpu is not None and gpu not in indices:
            have = ", ".join(map(str, indices)) if indices else "none"
            raise NotFound(f"there is no GPU {gpu}; this worker's GPUs: {have}", field="gpu")
