"""The sampler: one thread reads every GPU on a steady beat and reports what it saw.

Why one thread and cheap calls: NVML takes a driver lock that games also need (polling
every 25 ms made MangoHud users' games stutter), and peer monitors burn most of a core.
So the beat is 1 s by default (users may choose 1 to 5 s) and each tick makes only the
cheap per-GPU reading; the expensive process list is the activity guard's to pace
(desktop/guard/gpu_use.py: every 10 s, or early when a reading hints at a newcomer).

Health is judged here, once, for every consumer: a call slower than 250 ms marks the GPU
degraded (``sensor.degraded``), three failed reads in a row raise ``sensor.failure``
(the guards fail closed on it), and a lost GPU raises ``gpu.lost``. Each event fires when
the state changes, not on every tick; a good reading after trouble raises
``sensor.recovered``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from desktop import clock as wall_clock
from desktop.hardware.gpu import GpuBackend, GpuError, GpuLost
from desktop.model import Event, GpuSample, Severity

__all__ = ["Sampler", "validate_interval"]

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 5.0
SLOW_CALL_S = 0.25
FAILURES_BEFORE_EVENT = 3
_FAST_READS_TO_CLEAR = 10  # a degraded GPU is healthy again after this many fast reads


def validate_interval(seconds: float) -> float:
    """The sampling interval, checked against the user range (1 to 5 s)."""
    if not MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S:
        raise ValueError(
            f"the sampling interval must be between {MIN_INTERVAL_S:g} and "
            f"{MAX_INTERVAL_S:g} seconds (got {seconds:g})"
        )
    return float(seconds)


@dataclass
class _Health:
    """What the sampler knows about one GPU between ticks."""

    latest: GpuSample | None = None
    failures: int = 0
    failure_reported: bool = False
    lost: bool = False
    degraded: bool = False
    fast_reads: int = 0


def _ignore(*_: object) -> None:
    return None


class Sampler:
    """Reads every GPU of ``backend`` each ``interval_s`` on one thread.

    Callbacks run on the sampler's thread and must be quick; an exception in one is logged
    and does not stop sampling. ``tick()`` does one round synchronously (tests, perf, CLI).
    ``clock`` stamps samples and events (the worker's one wall clock); ``timer`` measures
    call durations for the degraded check.
    """

    def __init__(
        self,
        backend: GpuBackend,
        interval_s: float = 2.0,
        on_sample: Callable[[GpuSample], None] | None = None,
        on_event: Callable[[Event], None] | None = None,
        clock: Callable[[], float] = wall_clock.read,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._backend = backend
        self._interval = validate_interval(interval_s)
        self._on_sample = on_sample or _ignore
        self._on_event = on_event or _ignore
        self._clock = clock
        self._timer = timer  # measures how long each backend call takes
        self._gpus: dict[int, _Health] = {}
        self._indices: list[int] | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------

    @property
    def interval_s(self) -> float:
        return self._interval

    def set_interval(self, seconds: float) -> None:
        """Change the beat (1 to 5 s); takes effect at once."""
        self._interval = validate_interval(seconds)
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="gpu-sampler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def latest(self, index: int) -> GpuSample | None:
        health = self._gpus.get(index)
        return None if health is None else health.latest

    def degraded(self, index: int) -> bool:
        health = self._gpus.get(index)
        return bool(health and health.degraded)

    def failing(self, index: int) -> bool:
        """The GPU is lost, or its reads failed ``FAILURES_BEFORE_EVENT`` times in a row (and
        have not answered since): its latest reading no longer stands for it."""
        health = self._gpus.get(index)
        return bool(health and (health.lost or health.failure_reported))

    # --- the beat --------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            self.tick()
            self._wake.clear()
            # Paced from the start of the tick, so a slow driver does not stretch the beat;
            # set_interval() and stop() cut the wait short.
            remaining = self._interval - (time.monotonic() - started)
            if remaining > 0:
                self._wake.wait(remaining)

    def tick(self) -> None:
        """One round: a reading of every GPU."""
        for index in self._devices():
            self._sample_one(index, self._gpus.setdefault(index, _Health()))

    def _devices(self) -> list[int]:
        if self._indices is None:
            try:
                self._indices = [info.index for info in self._backend.devices()]
            except GpuError as exc:
                self._emit(
                    "sensor.failure",
                    Severity.ERROR,
                    f"cannot list the GPUs: {exc.cause}",
                    None,
                    exc,
                )
                return []
        return self._indices

    def _sample_one(self, index: int, health: _Health) -> None:
        started = self._timer()
        try:
            sample = self._read(index)
        except GpuLost as exc:
            self._note_timing(index, health, self._timer() - started)
            if not health.lost:
                health.lost = True
                self._emit(
                    "gpu.lost",
                    Severity.CRITICAL,
                    f"GPU {index} stopped responding: {exc.cause}",
                    index,
                    exc,
                )
            return
        except GpuError as exc:
            self._note_timing(index, health, self._timer() - started)
            health.failures += 1
            if health.failures >= FAILURES_BEFORE_EVENT and not health.failure_reported:
                health.failure_reported = True
                self._emit(
                    "sensor.failure",
                    Severity.ERROR,
                    f"GPU {index}: {health.failures} readings in a row failed: {exc.cause}",
                    index,
                    exc,
                )
            return
        self._note_timing(index, health, self._timer() - started)
        if health.lost or health.failure_reported:
            self._emit("sensor.recovered", Severity.INFO, f"GPU {index} answers again", index, None)
        health.failures, health.failure_reported, health.lost = 0, False, False
        health.latest = sample
        self._call(self._on_sample, sample)

    def _read(self, index: int) -> GpuSample:
        """The backend's reading; an unexpected exception counts as a failed read (fail closed)."""
        try:
            return self._backend.sample(index)
        except GpuError:
            raise
        except Exception as exc:  # noqa: BLE001 - a backend bug must look like a bad sensor
            log.exception("GPU %s: unexpected error while reading", index)
            raise GpuError("unknown", f"the reading failed unexpectedly ({exc})") from exc

    def _note_timing(self, index: int, health: _Health, seconds: float) -> None:
        if seconds > SLOW_CALL_S:
            health.fast_reads = 0
            if not health.degraded:
                health.degraded = True
                self._emit(
                    "sensor.degraded",
                    Severity.WARNING,
                    f"GPU {index}: a reading took {seconds * 1000:.0f} ms (over "
                    f"{SLOW_CALL_S * 1000:.0f} ms); the driver is slow or busy",
                    index,
                    None,
                    {"seconds": round(seconds, 3)},
                )
            return
        if health.degraded:
            health.fast_reads += 1
            if health.fast_reads >= _FAST_READS_TO_CLEAR:
                health.degraded = False
                self._emit(
                    "sensor.recovered",
                    Severity.INFO,
                    f"GPU {index}: readings are fast again",
                    index,
                    None,
                )

    def _emit(
        self,
        kind: str,
        severity: Severity,
        message: str,
        index: int | None,
        exc: GpuError | None,
        data: dict[str, object] | None = None,
    ) -> None:
        details: dict[str, object] = dict(data or {})
        if exc is not None:
            details.update(code=exc.code, fix=exc.fix)
        event = Event(
            ts=self._clock(),
            kind=kind,
            severity=severity,
            message=message,
            gpu_index=index,
            data=details,
        )
        self._call(self._on_event, event)

    @staticmethod
    def _call(callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:  # noqa: BLE001 - a consumer's bug must not stop the readings
            log.exception("sampler callback failed")
