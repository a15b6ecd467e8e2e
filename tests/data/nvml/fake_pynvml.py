"""Replays a recorded card through pynvml's own function names, for tests and perf figures.

A recording (a JSON file next to this one) holds what each NVML call returned on one
machine: values in NVML's units (mW, mJ, bytes), per-device errors by NVML name
(``"errors": {"nvmlDeviceGetFanSpeed": "NOT_SUPPORTED"}``), per-field results for
``nvmlDeviceGetFieldValues``, and the calls the driver did not have
(``"missing_functions"``, raised as FUNCTION_NOT_FOUND). ``install`` puts the fake
functions on the real ``pynvml`` module, so the backend under test runs its real code
paths and error handling; ``calls`` counts every call by name.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pynvml

HERE = Path(__file__).resolve().parent

FUNCTIONS = (
    "nvmlInit",
    "nvmlShutdown",
    "nvmlSystemGetDriverVersion",
    "nvmlSystemGetCudaDriverVersion",
    "nvmlSystemGetCudaDriverVersion_v2",
    "nvmlDeviceGetCount",
    "nvmlDeviceGetHandleByIndex",
    "nvmlDeviceGetName",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetPowerManagementLimitConstraints",
    "nvmlDeviceGetPowerManagementDefaultLimit",
    "nvmlDeviceGetEnforcedPowerLimit",
    "nvmlDeviceGetTemperatureThreshold",
    "nvmlDeviceGetFieldValues",
    "nvmlDeviceGetMarginTemperature",
    "nvmlDeviceGetTemperatureV",
    "nvmlDeviceGetTemperature",
    "nvmlDeviceGetPowerUsage",
    "nvmlDeviceGetTotalEnergyConsumption",
    "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetFanSpeed",
    "nvmlDeviceGetClockInfo",
    "nvmlDeviceGetCurrentClocksEventReasons",
    "nvmlDeviceGetCurrentClocksThrottleReasons",
    "nvmlDeviceGetPerformanceState",
    "nvmlDeviceGetPowerState",
    "nvmlDeviceGetComputeRunningProcesses",
    "nvmlDeviceGetGraphicsRunningProcesses",
    "nvmlDeviceSetPowerManagementLimit",
)
PROCESS_FUNCTIONS = (
    "nvmlDeviceGetComputeRunningProcesses",
    "nvmlDeviceGetGraphicsRunningProcesses",
)
_THRESHOLD_KEYS = {
    pynvml.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN: "shutdown",
    pynvml.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN: "slowdown",
    pynvml.NVML_TEMPERATURE_THRESHOLD_MEM_MAX: "mem_max",
    pynvml.NVML_TEMPERATURE_THRESHOLD_GPU_MAX: "gpu_max",
}


def load_recording(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def nvml_error(name: str) -> pynvml.NVMLError:
    """The pynvml exception for an NVML error name such as ``GPU_IS_LOST``."""
    return pynvml.NVMLError(getattr(pynvml, f"NVML_ERROR_{name}"))


class _Handle:
    def __init__(self, index: int) -> None:
        self.index = index


class FakeNvml:
    """The recorded machine; edit ``devices[i]`` or call ``fail``/``lose`` to change it."""

    def __init__(self, recording: dict[str, Any], clock: Callable[[], float] | None = None) -> None:
        self.recording = copy.deepcopy(recording)
        # With a clock the energy counter runs: recorded value + recorded power x time.
        self.clock = clock
        self.started = clock() if clock else 0.0
        self.devices: list[dict[str, Any]] = self.recording["devices"]
        self.missing = set(self.recording.get("missing_functions", []))
        self.calls: Counter[str] = Counter()
        self.init_error: str | None = None
        self.power_limit_error: str | None = None
        self.set_limits: list[tuple[int, int]] = []

    # --- control ---------------------------------------------------------------------

    def install(self, setattr_fn: Callable[[Any, str, Any], None]) -> FakeNvml:
        """``install(monkeypatch.setattr)``: every NVML function the backend uses is ours."""
        for name in FUNCTIONS:
            setattr_fn(pynvml, name, self._wrap(name))
        return self

    def fail(self, index: int, function: str, error: str | None) -> None:
        """Make one device's call raise ``error`` (None: answer again)."""
        errors = self.devices[index].setdefault("errors", {})
        if error is None:
            errors.pop(function, None)
        else:
            errors[function] = error

    def lose(self, index: int) -> None:
        """The GPU falls off the bus: every call on it raises GPU_IS_LOST."""
        self.devices[index]["lost"] = True

    def device_calls(self) -> int:
        """Calls made, leaving out init/shutdown and the process lists."""
        skip = {"nvmlInit", "nvmlShutdown", *PROCESS_FUNCTIONS}
        return sum(n for name, n in self.calls.items() if name not in skip)

    # --- plumbing ----------------------------------------------------------------------

    def _wrap(self, name: str) -> Callable[..., Any]:
        impl = getattr(self, "_" + name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if name in self.missing:
                raise nvml_error("FUNCTION_NOT_FOUND")
            if args and isinstance(args[0], _Handle):
                device = self.devices[args[0].index]
                if device.get("lost"):
                    raise nvml_error("GPU_IS_LOST")
                error = device.get("errors", {}).get(name)
                if error:
                    raise nvml_error(error)
                return impl(device, *args[1:], **kwargs)
            return impl(*args, **kwargs)

        return call

    @staticmethod
    def _value(value: Any) -> Any:
        if isinstance(value, str) and hasattr(pynvml, f"NVML_ERROR_{value}"):
            raise nvml_error(value)
        return value

    # --- system ------------------------------------------------------------------------

    def _nvmlInit(self) -> None:
        if self.init_error:
            raise nvml_error(self.init_error)

    def _nvmlShutdown(self) -> None:
        return None

    def _nvmlSystemGetDriverVersion(self) -> str:
        return str(self.recording["driver_version"])

    def _nvmlSystemGetCudaDriverVersion(self) -> int:
        return int(self.recording["cuda_driver_version"])

    _nvmlSystemGetCudaDriverVersion_v2 = _nvmlSystemGetCudaDriverVersion

    def _nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def _nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        if not 0 <= index < len(self.devices):
            raise nvml_error("INVALID_ARGUMENT")
        return _Handle(index)

    # --- device facts ------------------------------------------------------------------

    def _nvmlDeviceGetName(self, d: dict[str, Any]) -> str:
        return str(d["name"])

    def _nvmlDeviceGetUUID(self, d: dict[str, Any]) -> str:
        return str(d["uuid"])

    def _nvmlDeviceGetMemoryInfo(self, d: dict[str, Any], version: Any = None) -> Any:
        if version and "nvmlDeviceGetMemoryInfo_v2" in self.missing:
            raise nvml_error("FUNCTION_NOT_FOUND")
        return SimpleNamespace(**d["memory"])

    def _nvmlDeviceGetPowerManagementLimitConstraints(self, d: dict[str, Any]) -> list[int]:
        limits = d["power_limits_mw"]
        return [self._value(limits["min"]), self._value(limits["max"])]

    def _nvmlDeviceGetPowerManagementDefaultLimit(self, d: dict[str, Any]) -> int:
        return self._value(d["power_limits_mw"]["default"])

    def _nvmlDeviceGetEnforcedPowerLimit(self, d: dict[str, Any]) -> int:
        return self._value(d["power_limits_mw"]["enforced"])

    def _nvmlDeviceGetTemperatureThreshold(self, d: dict[str, Any], which: int) -> int:
        return self._value(d["thresholds"].get(_THRESHOLD_KEYS.get(which, ""), "INVALID_ARGUMENT"))

    def _nvmlDeviceGetMarginTemperature(self, d: dict[str, Any]) -> int:
        return self._value(d.get("margin", "NOT_SUPPORTED"))

    def _nvmlDeviceGetFieldValues(self, d: dict[str, Any], ids: list[int]) -> list[Any]:
        out = []
        for fid in ids:
            entry = d.get("fields", {}).get(str(fid), "INVALID_ARGUMENT")
            if isinstance(entry, str):
                ret, vtype, number = getattr(pynvml, f"NVML_ERROR_{entry}"), 0, 0
            else:
                ret, vtype, number = pynvml.NVML_SUCCESS, entry["type"], entry["value"]
                if fid == pynvml.NVML_FI_DEV_ENERGY:
                    number = self._energy_now(d, number)
            value = SimpleNamespace(
                dVal=float(number),
                uiVal=number,
                ulVal=number,
                ullVal=number,
                sllVal=number,
                siVal=number,
                usVal=number,
            )
            out.append(SimpleNamespace(fieldId=fid, nvmlReturn=ret, valueType=vtype, value=value))
        return out

    # --- readings ----------------------------------------------------------------------

    def _nvmlDeviceGetTemperatureV(self, d: dict[str, Any], sensor: int) -> int:
        return self._value(d["temperature"])

    _nvmlDeviceGetTemperature = _nvmlDeviceGetTemperatureV

    def _nvmlDeviceGetPowerUsage(self, d: dict[str, Any]) -> int:
        return self._value(d["power_usage_mw"])

    def _energy_now(self, d: dict[str, Any], recorded: int) -> int:
        if self.clock is None:
            return recorded
        power = d["power_usage_mw"] if isinstance(d["power_usage_mw"], int) else 0
        return recorded + int(power * (self.clock() - self.started))

    def _nvmlDeviceGetTotalEnergyConsumption(self, d: dict[str, Any]) -> int:
        return self._energy_now(d, self._value(d["energy_mj"]))

    def _nvmlDeviceGetUtilizationRates(self, d: dict[str, Any]) -> Any:
        return SimpleNamespace(**d["utilization"])

    def _nvmlDeviceGetFanSpeed(self, d: dict[str, Any]) -> int:
        return self._value(d["fan_pct"])

    def _nvmlDeviceGetClockInfo(self, d: dict[str, Any], domain: int) -> int:
        key = {pynvml.NVML_CLOCK_SM: "sm", pynvml.NVML_CLOCK_MEM: "mem"}[domain]
        return self._value(d["clocks"][key])

    def _nvmlDeviceGetCurrentClocksEventReasons(self, d: dict[str, Any]) -> int:
        return self._value(d["clock_event_reasons"])

    _nvmlDeviceGetCurrentClocksThrottleReasons = _nvmlDeviceGetCurrentClocksEventReasons

    def _nvmlDeviceGetPerformanceState(self, d: dict[str, Any]) -> int:
        return self._value(d["pstate"])

    _nvmlDeviceGetPowerState = _nvmlDeviceGetPerformanceState

    def _processes(self, d: dict[str, Any], kind: str) -> list[Any]:
        return [SimpleNamespace(**p) for p in d.get("processes", {}).get(kind, [])]

    def _nvmlDeviceGetComputeRunningProcesses(self, d: dict[str, Any]) -> list[Any]:
        return self._processes(d, "compute")

    def _nvmlDeviceGetGraphicsRunningProcesses(self, d: dict[str, Any]) -> list[Any]:
        return self._processes(d, "graphics")

    def _nvmlDeviceSetPowerManagementLimit(self, d: dict[str, Any], milliwatts: int) -> None:
        if self.power_limit_error:
            raise nvml_error(self.power_limit_error)
        d["power_limits_mw"]["enforced"] = milliwatts
        index = next(i for i, device in enumerate(self.devices) if device is d)
        self.set_limits.append((index, milliwatts))
