"""Real NVIDIA cards through NVML (pynvml from nvidia-ml-py); the only module that imports it.

Why it is shaped like this (see reliability.md §7 and style.md §5):

- NVML calls take a driver lock and are not throttled, so a tick must stay cheap: at most
  ten calls per GPU. Memory temperature, 1-s average power and the energy counter come in
  one ``nvmlDeviceGetFieldValues`` call (cards without the power field get their average
  power from the energy counter), the enforced power limit is re-read every 10 s (and
  right after we change it), and a query the card answered NOT_SUPPORTED once is not
  asked again (GeForce cards have "limited support").
- Every call goes through one funnel, ``_query``: NOT_SUPPORTED becomes None, GPU_IS_LOST
  and RESET_REQUIRED become ``GpuLost``, every other error a ``GpuError`` whose plain
  cause and fix the doctor shows too (``explain_nvml_error``).
- The non-deprecated calls are preferred (``nvmlDeviceGetTemperatureV``,
  ``nvmlDeviceGetCurrentClocksEventReasons``, field values 193-196 for Ada+ thresholds);
  when the driver lacks one, the older call is used from then on.
- Functions are looked up on the ``pynvml`` module at call time, so tests replace them
  (``monkeypatch.setattr(pynvml, "nvmlInit", ...)``) to replay recorded cards and errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pynvml as _pynvml

from desktop import clock as wall
from desktop.hardware.gpu import GpuError, GpuLost, GpuProcess, PermissionRequired
from desktop.hardware.nvml_errors import explain_code
from desktop.model import GpuInfo, GpuSample, PowerLimits, ThermalThresholds

__all__ = ["NvmlBackend", "explain_nvml_error", "open_backend"]

_MIB = 1024 * 1024
_LIMIT_REFRESH_S = 10.0
_MIN_POWER_WINDOW_S = 0.5
_PSTATE_UNKNOWN = 32
_NV = _pynvml
# The driver lacks this call or this struct version: use the older call instead.
_MISSING = {
    _NV.NVML_ERROR_FUNCTION_NOT_FOUND,
    _NV.NVML_ERROR_ARGUMENT_VERSION_MISMATCH,
    _NV.NVML_ERROR_DEPRECATED,
}
_FATAL = {_NV.NVML_ERROR_GPU_IS_LOST, _NV.NVML_ERROR_RESET_REQUIRED}


def explain_nvml_error(exc: BaseException) -> GpuError:
    """The plain cause and fix for an NVML failure (shared by the backend and the doctor).

    GPU_IS_LOST and RESET_REQUIRED give a ``GpuLost``; anything that is not an NVML error
    (a broken pynvml, a ctypes failure) gives code ``unknown`` with the error's own text.
    """
    if isinstance(exc, GpuError):
        return exc
    value = getattr(exc, "value", None) if isinstance(exc, _NV.NVMLError) else None
    return explain_code(value, str(exc))


class _Missing(Exception):
    """The driver does not have the preferred call."""


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _field_value(field: Any) -> float:
    """Decode an ``nvmlFieldValue_t`` union by its declared type."""
    attr = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}
    return float(getattr(field.value, attr.get(int(field.valueType), "ullVal")))


def _process_name(pid: int) -> str:
    import psutil  # here: only when another program is on the GPU (a worker's start skips it)

    try:
        return psutil.Process(pid).name()
    except (psutil.Error, OSError):
        return ""  # another user's or a container's process


class NvmlBackend:
    """``GpuBackend`` for the real GPUs; NVML is initialised on first use.

    ``clock`` stamps the samples and paces the power-limit refresh; ``nvml_calls`` counts
    every NVML call made, for the performance figures.
    """

    def __init__(self, clock: Callable[[], float] = wall.read) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open = False
        self._handles: list[Any] = []
        self._infos: list[GpuInfo] | None = None
        self._unsupported: set[tuple[int, str]] = set()
        self._legacy: set[tuple[int, str]] = set()
        self._limits: dict[int, tuple[float, float | None]] = {}
        self._energy: dict[int, tuple[float, float]] = {}
        self.nvml_calls = 0

    # --- the funnel ------------------------------------------------------------------

    def _query(self, fn: Callable[..., Any], *args: Any, missing: bool = False) -> Any:
        """Call NVML once: NOT_SUPPORTED -> None, other errors -> GpuError / GpuLost.

        With ``missing=True`` a call the driver does not have raises ``_Missing``.
        """
        self.nvml_calls += 1
        try:
            return fn(*args)
        except _NV.NVMLError as exc:
            if exc.value == _NV.NVML_ERROR_NOT_SUPPORTED:
                return None
            if missing and exc.value in _MISSING:
                raise _Missing from exc
            raise explain_nvml_error(exc) from exc

    def _read(
        self, index: int, key: str, call: tuple[Any, ...], legacy: tuple[Any, ...] | None = None
    ) -> Any:
        """A per-sample value: the preferred call, else the legacy one.

        A value the card does not support is remembered and not asked again.
        """
        slot = (index, key)
        if slot in self._unsupported:
            return None
        value = None
        if slot not in self._legacy:
            value = self._try(call)
            if value is None and legacy is not None:
                self._legacy.add(slot)  # missing or unsupported: the older call from now on
        if slot in self._legacy and legacy is not None:
            value = self._try(legacy)
        if value is None:
            self._unsupported.add(slot)
        return value

    def _try(self, call: tuple[Any, ...]) -> Any:
        """``_query`` where a call the driver does not have counts as unsupported."""
        try:
            return self._query(*call, missing=True)
        except _Missing:
            return None

    def _static(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A once-read fact: any error short of a lost GPU just means 'not known'."""
        try:
            return self._query(fn, *args)
        except GpuLost:
            raise
        except GpuError:
            return None

    # --- lifecycle -----------------------------------------------------------------

    def _ensure_open(self) -> None:
        if self._open:
            return
        with self._lock:
            self._init_locked()

    def _init_locked(self) -> None:
        if not self._open:
            self.nvml_calls += 1
            try:
                _NV.nvmlInit()
            except Exception as exc:  # noqa: BLE001 - every failure becomes a cause and fix
                raise explain_nvml_error(exc) from exc
            self._open = True

    def close(self) -> None:
        with self._lock:
            if self._open:
                try:
                    _NV.nvmlShutdown()
                except _NV.NVMLError:
                    pass  # shutting down anyway
            self._open = False
            self._handles, self._infos = [], None

    # --- static facts ------------------------------------------------------------------

    def devices(self) -> list[GpuInfo]:
        self._ensure_open()
        if self._infos is None:
            count = int(self._query(_NV.nvmlDeviceGetCount) or 0)
            driver = _text(self._static(_NV.nvmlSystemGetDriverVersion) or "")
            cuda = self._cuda_version()
            handles = [self._query(_NV.nvmlDeviceGetHandleByIndex, i) for i in range(count)]
            self._handles = handles
            self._infos = [self._info(i, h, driver, cuda) for i, h in enumerate(handles)]
        return list(self._infos)

    def _cuda_version(self) -> str | None:
        try:
            value = self._query(_NV.nvmlSystemGetCudaDriverVersion_v2, missing=True)
        except (_Missing, GpuError):
            value = self._static(_NV.nvmlSystemGetCudaDriverVersion)
        return None if not value else f"{int(value) // 1000}.{int(value) % 1000 // 10}"

    def _info(self, index: int, handle: Any, driver: str, cuda: str | None) -> GpuInfo:
        memory = self._static(_NV.nvmlDeviceGetMemoryInfo, handle)
        bounds = self._static(_NV.nvmlDeviceGetPowerManagementLimitConstraints, handle)
        default = self._static(_NV.nvmlDeviceGetPowerManagementDefaultLimit, handle)
        enforced = self._static(_NV.nvmlDeviceGetEnforcedPowerLimit, handle)
        self._limits[index] = (self._clock(), None if enforced is None else enforced / 1000)
        return GpuInfo(
            index=index,
            uuid=_text(self._static(_NV.nvmlDeviceGetUUID, handle) or ""),
            name=_text(self._static(_NV.nvmlDeviceGetName, handle) or "NVIDIA GPU"),
            vram_total_mib=0 if memory is None else int(memory.total // _MIB),
            driver_version=driver,
            cuda_version=cuda,
            power=PowerLimits(
                min_w=None if bounds is None else bounds[0] / 1000,
                max_w=None if bounds is None else bounds[1] / 1000,
                default_w=None if default is None else default / 1000,
                enforced_w=None if enforced is None else enforced / 1000,
            ),
            thresholds=self._thresholds(index, handle),
        )

    def _thresholds(self, index: int, handle: Any) -> ThermalThresholds:
        """Ada+ T.Limit fields first, then the absolute (older) threshold call."""
        tlimit = self._tlimit_thresholds(index, handle)
        if tlimit is None:
            legacy = _NV.nvmlDeviceGetTemperatureThreshold
            tlimit = tuple(
                self._static(legacy, handle, which)
                for which in (
                    _NV.NVML_TEMPERATURE_THRESHOLD_GPU_MAX,
                    _NV.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN,
                    _NV.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN,
                )
            )
        # The memory T.Limit is relative to a memory reference NVML does not expose, so the
        # memory maximum always comes from the absolute call (None on GeForce).
        mem_max = self._static(
            _NV.nvmlDeviceGetTemperatureThreshold, handle, _NV.NVML_TEMPERATURE_THRESHOLD_MEM_MAX
        )
        maxop, slowdown, shutdown = (None if v is None else float(v) for v in tlimit)
        return ThermalThresholds(maxop, slowdown, shutdown, None if not mem_max else float(mem_max))

    def _tlimit_thresholds(self, index: int, handle: Any) -> tuple[float, float, float] | None:
        """Absolute limits from the Ada+ T.Limit specs (signed offsets from max-operating).

        The specs only become temperatures through the live margin: max-operating is
        ``temperature + margin``, and each limit is that minus its spec (negative = hotter).
        """
        ids = [
            _NV.NVML_FI_DEV_TEMPERATURE_GPU_MAX_TLIMIT,
            _NV.NVML_FI_DEV_TEMPERATURE_SLOWDOWN_TLIMIT,
            _NV.NVML_FI_DEV_TEMPERATURE_SHUTDOWN_TLIMIT,
        ]
        try:
            fields = self._query(_NV.nvmlDeviceGetFieldValues, handle, ids, missing=True)
        except GpuLost:
            raise
        except (_Missing, GpuError):
            return None
        if fields is None or any(int(f.nvmlReturn) != _NV.NVML_SUCCESS for f in fields):
            return None
        margin = self._static(_NV.nvmlDeviceGetMarginTemperature, handle)
        temp = self._read(index, "temp", *self._temp_calls(handle))
        if margin is None or temp is None:
            return None
        reference = float(temp) + float(margin)
        maxop, slowdown, shutdown = (reference - _field_value(f) for f in fields)
        if not (30 <= maxop <= slowdown <= shutdown <= 130 and maxop < shutdown):
            return None  # not the semantics we expect: use the absolute call
        return maxop, slowdown, shutdown

    @staticmethod
    def _temp_calls(handle: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        gpu = _NV.NVML_TEMPERATURE_GPU
        return (
            (_NV.nvmlDeviceGetTemperatureV, handle, gpu),
            (_NV.nvmlDeviceGetTemperature, handle, gpu),
        )

    # --- readings ------------------------------------------------------------------

    def _handle(self, index: int) -> Any:
        infos = self.devices()
        if not 0 <= index < len(infos):
            raise GpuError(
                "not_found",
                f"there is no GPU {index}; this machine has {len(infos)}",
                f"Use a GPU index from 0 to {len(infos) - 1}.",
            )
        return self._handles[index]

    def sample(self, index: int) -> GpuSample:
        """One reading: nine NVML calls on a current card, plus the limit every 10 s."""
        h = self._handle(index)
        temp = self._read(index, "temp", *self._temp_calls(h))
        mem_temp, power_w, energy_j = self._fields(index, h)
        util = self._read(index, "util", (_NV.nvmlDeviceGetUtilizationRates, h))
        memory = self._read(
            index,
            "memory",
            (_NV.nvmlDeviceGetMemoryInfo, h, _NV.nvmlMemory_v2),
            (_NV.nvmlDeviceGetMemoryInfo, h),
        )
        fan = self._read(index, "fan", (_NV.nvmlDeviceGetFanSpeed, h))
        sm = self._read(index, "sm", (_NV.nvmlDeviceGetClockInfo, h, _NV.NVML_CLOCK_SM))
        mclk = self._read(index, "mclk", (_NV.nvmlDeviceGetClockInfo, h, _NV.NVML_CLOCK_MEM))
        reasons = self._read(
            index,
            "reasons",
            (_NV.nvmlDeviceGetCurrentClocksEventReasons, h),
            (_NV.nvmlDeviceGetCurrentClocksThrottleReasons, h),
        )
        pstate = self._read(
            index,
            "pstate",
            (_NV.nvmlDeviceGetPerformanceState, h),
            (_NV.nvmlDeviceGetPowerState, h),
        )
        return GpuSample(
            ts=self._clock(),
            gpu_index=index,
            uuid=self.devices()[index].uuid,
            core_temp_c=None if temp is None else float(temp),
            mem_temp_c=mem_temp,
            power_w=power_w,
            energy_j=energy_j,
            gpu_util_pct=None if util is None else float(util.gpu),
            mem_util_pct=None if util is None else float(util.memory),
            vram_used_mib=None if memory is None else memory.used / _MIB,
            vram_total_mib=None if memory is None else memory.total / _MIB,
            fan_pct=None if fan is None else float(fan),
            sm_clock_mhz=None if sm is None else float(sm),
            mem_clock_mhz=None if mclk is None else float(mclk),
            clock_event_reasons=int(reasons or 0),
            pstate=None if pstate is None or pstate == _PSTATE_UNKNOWN else int(pstate),
            power_limit_w=self._power_limit(index, h),
        )

    def _fields(self, index: int, h: Any) -> tuple[float | None, float | None, float | None]:
        """Memory temperature, power (W) and energy (J) in one field-values call.

        A field the card does not support is dropped from the batch for good; power and
        energy then come from their own calls (older drivers and pre-Ampere cards).
        """
        wanted = {
            key: fid
            for key, fid in (
                ("fi.mem_temp", _NV.NVML_FI_DEV_MEMORY_TEMP),
                ("fi.power", _NV.NVML_FI_DEV_POWER_AVERAGE),
                ("fi.energy", _NV.NVML_FI_DEV_ENERGY),
            )
            if (index, key) not in self._unsupported
        }
        got: dict[str, float] = {}
        if wanted:
            try:
                fields = self._query(
                    _NV.nvmlDeviceGetFieldValues, h, list(wanted.values()), missing=True
                )
            except _Missing:
                fields = None
            if fields is None:  # no field-values API: every field falls back
                self._unsupported.update((index, key) for key in wanted)
            else:
                for key, field in zip(wanted, fields, strict=False):
                    status = int(field.nvmlReturn)
                    if status == _NV.NVML_SUCCESS:
                        got[key] = _field_value(field)
                    elif status in _FATAL:
                        raise explain_nvml_error(_NV.NVMLError(status))
                    elif status in _MISSING or status in (
                        _NV.NVML_ERROR_NOT_SUPPORTED,
                        _NV.NVML_ERROR_INVALID_ARGUMENT,
                    ):
                        self._unsupported.add((index, key))
        mem_temp = got.get("fi.mem_temp")
        energy_mj = got.get("fi.energy")
        if energy_mj is None:
            energy_mj = self._read(index, "energy", (_NV.nvmlDeviceGetTotalEnergyConsumption, h))
        power_mw = got.get("fi.power")
        if power_mw is None:
            power_mw = self._power_from_energy(index, energy_mj)
        if power_mw is None:
            power_mw = self._read(index, "power", (_NV.nvmlDeviceGetPowerUsage, h))
        return (
            mem_temp if mem_temp else None,  # some GeForce cards answer 0 instead of N/A
            None if power_mw is None else power_mw / 1000,
            None if energy_mj is None else energy_mj / 1000,
        )

    def _power_from_energy(self, index: int, energy_mj: float | None) -> float | None:
        """Average power (mW) since the last reading, from the energy counter.

        Used when the card has no 1-s average power field (older drivers, pre-Ampere,
        GA100): it saves a call per tick, and unlike their instantaneous power reading it
        cannot miss the peaks between samples. None when there is no usable interval yet.
        """
        now = self._clock()
        previous = self._energy.get(index)
        if energy_mj is None:
            return None
        self._energy[index] = (now, energy_mj)
        if previous is None:
            return None
        seconds, used = now - previous[0], energy_mj - previous[1]
        if seconds < _MIN_POWER_WINDOW_S or used < 0:  # too close, or the counter restarted
            return None
        return used / seconds

    def _power_limit(self, index: int, h: Any) -> float | None:
        read_at, watts = self._limits.get(index, (float("-inf"), None))
        now = self._clock()
        if not 0 <= now - read_at < _LIMIT_REFRESH_S:  # due, or the clock jumped back
            value = self._query(_NV.nvmlDeviceGetEnforcedPowerLimit, h)
            watts = None if value is None else value / 1000
            self._limits[index] = (now, watts)
        return watts

    def processes(self, index: int) -> list[GpuProcess]:
        """Compute and graphics processes (a game shows as graphics); milliseconds each."""
        h = self._handle(index)
        found: dict[int, GpuProcess] = {}
        for key, fn in (
            ("compute", _NV.nvmlDeviceGetComputeRunningProcesses),
            ("graphics", _NV.nvmlDeviceGetGraphicsRunningProcesses),
        ):
            for proc in self._read(index, key, (fn, h)) or []:
                used = getattr(proc, "usedGpuMemory", None)
                vram = None if used is None else used / _MIB
                pid = int(proc.pid)
                if pid in found and found[pid].used_vram_mib is not None:
                    vram = max(vram or 0.0, found[pid].used_vram_mib or 0.0)
                found[pid] = GpuProcess(pid, vram, found[pid].name if pid in found else "")
        return [GpuProcess(p.pid, p.used_vram_mib, _process_name(p.pid)) for p in found.values()]

    def set_power_limit(self, index: int, watts: float) -> None:
        """Set the limit (not persistent across reboots); needs root/admin."""
        h = self._handle(index)
        power = self.devices()[index].power
        low, high = power.min_w, power.max_w
        if low is not None and high is not None and not low <= watts <= high:
            raise GpuError(
                "invalid_value",
                f"{watts:g} W is outside the power-limit range of GPU {index} ({low:g}-{high:g} W)",
                f"Choose a limit between {low:g} and {high:g} W.",
            )
        self.nvml_calls += 1
        try:
            _NV.nvmlDeviceSetPowerManagementLimit(h, int(round(watts * 1000)))
        except _NV.NVMLError as exc:
            if exc.value in (_NV.NVML_ERROR_NO_PERMISSION, _NV.NVML_ERROR_OPERATING_SYSTEM):
                raise PermissionRequired(
                    "no_permission",
                    "changing the power limit needs administrator (root) rights",
                    "Run the RigPilot worker with administrator rights to let it lower the "
                    "limit; without them it pauses work in slices instead.",
                ) from exc
            if exc.value == _NV.NVML_ERROR_NOT_SUPPORTED:
                raise GpuError(
                    "not_supported",
                    f"GPU {index} does not allow changing its power limit",
                    "Nothing to do: RigPilot pauses work in slices instead.",
                ) from exc
            raise explain_nvml_error(exc) from exc
        self._limits.pop(index, None)  # read the new limit back on the next sample


def open_backend() -> NvmlBackend:
    """Initialise NVML and read every GPU's static facts.

    Raises:
        GpuError: with a plain cause and fix (library_not_found, driver_not_loaded,
            version_mismatch, no_permission, gpu_lost, reset_required, timeout, unknown).
    """
    backend = NvmlBackend()
    try:
        backend.devices()
    except GpuError:
        backend.close()
        raise
    return backend
