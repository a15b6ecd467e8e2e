"""The worker's GPUs: the backend, the sampler thread and the in-memory telemetry.

The sampler reads on its own thread (NVML blocks); each sample and health event is handed
to the event loop through the worker's ``LoopBridge`` so that everything the API reads is only
touched on the loop. Opening the backend may fail (no driver, no NVML): the worker then
runs without GPUs and reports the cause and the fix in ``status.gpu_error``; it never
crashes for a missing GPU.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from desktop import clock as wall
from desktop.hardware.gpu import GpuBackend, GpuError
from desktop.hardware.sampler import Sampler
from desktop.model import Event, GpuInfo, GpuSample
from desktop.worker.loop_bridge import LoopBridge
from desktop.worker.telemetry import TelemetryBuffer

log = logging.getLogger(__name__)

STALE_MIN_S = 10.0  # a reading older than 3 sampling periods, and than this, is no longer current


class GpuMonitor:
    """One backend (or none), its sampler and the recent samples.

    Attributes:
        backend: the GPU backend, None when it could not be opened.
        error: why there is no backend (or no GPU), for status.
        infos: the GPUs' static facts, read once at start.
        clock: the clock samples are stamped with (the one wall clock, in every mode).
        buffer: recent samples per GPU.
    """

    def __init__(
        self,
        backend: GpuBackend | None,
        *,
        error: GpuError | None = None,
        interval_s: float = 2.0,
        clock: Callable[[], float] = wall.read,
        buffer: TelemetryBuffer | None = None,
    ) -> None:
        self.backend = backend
        self.error = error
        self.clock = clock
        self.buffer = buffer or TelemetryBuffer()
        self.infos: list[GpuInfo] = []
        self._interval = interval_s
        self._sampler: Sampler | None = None
        self._bridge: LoopBridge | None = None
        self._on_event: Callable[[Event], object] | None = None
        if backend is not None:
            try:
                self.infos = backend.devices()
            except GpuError as exc:
                log.error("cannot list the GPUs: %s", exc.cause)
                self.error = exc
        if backend is not None and not self.infos and self.error is None:
            self.error = GpuError(
                "no_gpu",
                "no NVIDIA GPU was found",
                "Check that the card is seated and the NVIDIA driver is installed "
                "(`nvidia-smi` should list it).",
            )

    @property
    def interval_s(self) -> float:
        return self._sampler.interval_s if self._sampler is not None else self._interval

    def set_interval(self, seconds: float) -> None:
        """Change the sampling beat live (the settings' ``sampling.interval_s``)."""
        self._interval = seconds
        if self._sampler is not None:
            self._sampler.set_interval(seconds)

    def start(self, bridge: LoopBridge, on_event: Callable[[Event], object]) -> None:
        """Start sampling; samples and events arrive on the bridge's loop."""
        self._bridge = bridge
        self._on_event = on_event
        if self.backend is None or not self.infos:
            return
        self._sampler = Sampler(
            self.backend,
            self._interval,
            on_sample=self._sample_from_thread,
            on_event=self._event_from_thread,
            clock=self.clock,
        )
        self._sampler.start()

    def stop(self) -> None:
        """Stop the sampler thread and release the backend (blocking: call off the loop)."""
        sampler, self._sampler = self._sampler, None
        if sampler is not None:
            sampler.stop()
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:
                log.exception("closing the GPU backend failed")

    def current(self, index: int, now: float) -> GpuSample | None:
        """The reading that stands for the GPU now: the latest one, unless the GPU was lost,
        its reads keep failing, or the latest is older than three sampling periods (10 s at
        least, as the guards judge it). Then there is none: an old reading shown as the
        current one would tell of a card that may since be hotter, or gone."""
        latest = self.buffer.latest_of(index)
        if latest is None or self.failing(index):
            return None
        return latest if now - latest.ts <= self.stale_after_s else None

    @property
    def stale_after_s(self) -> float:
        return max(STALE_MIN_S, 3 * self.interval_s)

    def failing(self, index: int) -> bool:
        """Lost, or its reads keep failing (the sampler's judgement)."""
        return self._sampler.failing(index) if self._sampler is not None else False

    def degraded(self, index: int, now: float) -> bool:
        """Its readings are slow (over 250 ms a call), failing, gone, or stale."""
        slow = self._sampler.degraded(index) if self._sampler is not None else False
        latest = self.buffer.latest_of(index)
        stale = latest is not None and now - latest.ts > self.stale_after_s
        return slow or self.failing(index) or stale

    def error_json(self) -> dict[str, Any] | None:
        if self.error is None:
            return None
        return {"code": self.error.code, "cause": self.error.cause, "fix": self.error.fix}

    def _sample_from_thread(self, sample: GpuSample) -> None:
        if self._bridge is not None:
            self._bridge.call(self.buffer.add, sample)

    def _event_from_thread(self, event: Event) -> None:
        bridge, handler = self._bridge, self._on_event
        if bridge is not None and handler is not None:
            bridge.call(handler, event)
