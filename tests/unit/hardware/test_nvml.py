"""NvmlBackend against recorded cards and errors, patched at the pynvml functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pynvml
import pytest

from desktop.hardware import nvml
from desktop.hardware.gpu import GpuBackend, GpuError, GpuLost, PermissionRequired

RTX3080 = "geforce_rtx3080_525.json"
RTX4090 = "geforce_rtx4090_570.json"
A100 = "datacenter_a100_550.json"

Recorded = Callable[[str], Any]


def test_open_backend_is_a_gpu_backend_with_the_recorded_facts(recorded: Recorded) -> None:
    recorded(RTX3080)
    backend = nvml.open_backend()
    assert isinstance(backend, GpuBackend)
    [info] = backend.devices()
    assert info.name == "NVIDIA GeForce RTX 3080"
    assert info.uuid == "GPU-5d8a1c52-7f0e-4b8e-9d7a-2f3c1e6b9a10"
    assert info.vram_total_mib == 10240
    assert (info.driver_version, info.cuda_version) == ("525.147.05", "12.0")
    assert (info.power.min_w, info.power.max_w, info.power.default_w) == (100.0, 370.0, 320.0)
    assert info.power.enforced_w == 320.0
    th = info.thresholds
    assert (th.max_operating_c, th.slowdown_c, th.shutdown_c) == (93.0, 95.0, 98.0)
    assert th.memory_max_c is None  # GeForce: not reported
    assert not info.simulated


def test_sample_converts_units_and_uses_fallbacks_on_an_old_driver(recorded: Recorded) -> None:
    fake = recorded(RTX3080)
    backend = nvml.open_backend()
    s = backend.sample(0)
    assert s.core_temp_c == 71.0  # nvmlDeviceGetTemperature: the V call is missing
    assert s.mem_temp_c is None  # memory temperature NOT_SUPPORTED on GeForce
    assert s.power_w == pytest.approx(318.456)  # mW -> W
    assert s.energy_j == pytest.approx(912345.678)  # mJ -> J
    assert (s.gpu_util_pct, s.mem_util_pct) == (100.0, 63.0)
    assert (s.vram_used_mib, s.vram_total_mib) == (8192.0, 10240.0)  # bytes -> MiB
    assert (s.fan_pct, s.sm_clock_mhz, s.mem_clock_mhz) == (74.0, 1785.0, 9501.0)
    assert s.clock_event_reasons == 0x4  # from the deprecated ThrottleReasons call
    assert (s.pstate, s.power_limit_w, s.uuid) == (2, 320.0, fake.devices[0]["uuid"])
    assert fake.calls["nvmlDeviceGetCurrentClocksThrottleReasons"] == 1
    assert fake.calls["nvmlDeviceGetPowerUsage"] == 1  # fields 185/191 unknown to 525


def test_missing_preferred_calls_are_tried_once_then_the_old_ones_used(recorded: Recorded) -> None:
    fake = recorded(RTX3080)
    backend = nvml.open_backend()
    for _ in range(5):
        backend.sample(0)
    assert fake.calls["nvmlDeviceGetTemperatureV"] == 1
    assert fake.calls["nvmlDeviceGetTemperature"] == 5
    assert fake.calls["nvmlDeviceGetCurrentClocksEventReasons"] == 1
    assert fake.calls["nvmlDeviceGetFieldValues"] == 2  # thresholds once, one sample batch


def test_current_driver_uses_the_new_calls_and_one_field_batch(recorded: Recorded) -> None:
    fake = recorded(RTX4090)
    backend = nvml.open_backend()
    s = backend.sample(0)
    s = backend.sample(0)
    assert s.core_temp_c == 61.0 and s.mem_temp_c is None
    assert s.power_w == pytest.approx(412.345)  # 1-s average field, not GetPowerUsage
    assert s.energy_j == pytest.approx(2345678.901)
    assert fake.calls["nvmlDeviceGetTemperature"] == 0
    assert fake.calls["nvmlDeviceGetCurrentClocksThrottleReasons"] == 0
    assert fake.calls["nvmlDeviceGetPowerUsage"] == 0
    assert fake.calls["nvmlDeviceGetTotalEnergyConsumption"] == 0


def test_ada_thresholds_come_from_the_tlimit_fields_not_the_deprecated_call(
    recorded: Recorded,
) -> None:
    recorded(RTX4090)
    th = nvml.open_backend().devices()[0].thresholds
    # 61 C with a live margin of 27 puts max-operating at 88; offsets 0 / -2 / -5.
    assert (th.max_operating_c, th.slowdown_c, th.shutdown_c) == (88.0, 90.0, 93.0)


def test_datacenter_card_reports_memory_temperature_and_no_fan(recorded: Recorded) -> None:
    fake = recorded(A100)
    backend = nvml.open_backend()
    info = backend.devices()[0]
    assert info.thresholds.memory_max_c == 95.0
    assert info.thresholds.max_operating_c == 87.0
    backend.sample(0)
    s = backend.sample(0)
    assert s.mem_temp_c == 61.0
    assert s.fan_pct is None  # passive card: NOT_SUPPORTED becomes None
    assert s.power_w == pytest.approx(231.0)  # GA100 lacks the average field: GetPowerUsage
    assert fake.calls["nvmlDeviceGetFanSpeed"] == 1  # unsupported is not asked again


def test_a_tick_stays_within_ten_nvml_calls(recorded: Recorded) -> None:
    for name in (RTX3080, RTX4090, A100):
        fake = recorded(name)
        backend = nvml.open_backend()
        backend.sample(0)
        before = fake.device_calls()
        backend.sample(0)
        assert fake.device_calls() - before <= 10, name


def test_processes_merge_compute_and_graphics(recorded: Recorded) -> None:
    recorded(RTX3080)
    procs = {p.pid: p for p in nvml.open_backend().processes(0)}
    assert set(procs) == {4242, 1523}
    assert procs[4242].used_vram_mib == 7168.0
    assert procs[1523].used_vram_mib is None  # NVML_VALUE_NOT_AVAILABLE (WDDM, Xorg)


@pytest.mark.parametrize(
    ("error", "code", "cause_words", "fix_words"),
    [
        (pynvml.NVMLError_LibraryNotFound, "library_not_found", "not installed", "Install"),
        (pynvml.NVMLError_DriverNotLoaded, "driver_not_loaded", "not running", "Restart"),
        (pynvml.NVMLError_LibRmVersionMismatch, "version_mismatch", "still loaded", "Restart"),
        (pynvml.NVMLError_NoPermission, "no_permission", "not allowed", "group"),
        (pynvml.NVMLError_GpuIsLost, "gpu_lost", "fell off the bus", "restart"),
        (pynvml.NVMLError_Timeout, "timeout", "did not answer", "persistence"),
        (pynvml.NVMLError_Unknown, "unknown", "reported an error", "Restart"),
    ],
)
def test_init_errors_map_to_a_cause_and_a_fix(
    monkeypatch: pytest.MonkeyPatch,
    error: type[Exception],
    code: str,
    cause_words: str,
    fix_words: str,
) -> None:
    def fail() -> None:
        raise error()

    monkeypatch.setattr(pynvml, "nvmlInit", fail)
    with pytest.raises(GpuError) as caught:
        nvml.open_backend()
    assert caught.value.code == code
    assert cause_words in caught.value.cause
    assert fix_words in caught.value.fix
    assert isinstance(caught.value, GpuLost) == (code == "gpu_lost")


def test_the_real_library_missing_gives_library_not_found() -> None:
    # No NVIDIA driver on the test machines: the untouched pynvml really fails to load.
    try:
        backend = nvml.open_backend()
    except GpuError as exc:
        assert exc.code in {"library_not_found", "driver_not_loaded"}
        assert exc.fix
    else:
        backend.close()
        pytest.skip("this machine has a working NVIDIA driver")


def test_gpu_lost_mid_sample_raises_gpulost_with_a_fix(recorded: Recorded) -> None:
    fake = recorded(RTX4090)
    backend = nvml.open_backend()
    backend.sample(0)
    fake.lose(0)
    with pytest.raises(GpuLost) as caught:
        backend.sample(0)
    assert caught.value.code == "gpu_lost" and "restart" in caught.value.fix.lower()


def test_gpu_lost_inside_the_field_batch_is_gpulost(recorded: Recorded) -> None:
    fake = recorded(RTX4090)
    backend = nvml.open_backend()
    fake.devices[0]["fields"]["185"] = "GPU_IS_LOST"
    with pytest.raises(GpuLost):
        backend.sample(0)


def test_a_read_error_becomes_gpuerror_and_the_next_read_works(recorded: Recorded) -> None:
    fake = recorded(RTX3080)
    backend = nvml.open_backend()
    fake.fail(0, "nvmlDeviceGetUtilizationRates", "UNKNOWN")
    with pytest.raises(GpuError) as caught:
        backend.sample(0)
    assert not isinstance(caught.value, GpuLost)
    fake.fail(0, "nvmlDeviceGetUtilizationRates", None)
    assert backend.sample(0).gpu_util_pct == 100.0


def test_explain_nvml_error_for_the_doctor() -> None:
    lost = nvml.explain_nvml_error(pynvml.NVMLError_GpuIsLost())
    assert isinstance(lost, GpuLost) and lost.code == "gpu_lost"
    reset = nvml.explain_nvml_error(pynvml.NVMLError_ResetRequired())
    assert isinstance(reset, GpuLost) and reset.code == "reset_required"
    other = nvml.explain_nvml_error(OSError("boom"))
    assert other.code == "unknown" and "boom" in other.cause


def test_set_power_limit_sends_milliwatts_and_is_read_back(recorded: Recorded) -> None:
    fake = recorded(RTX3080)
    backend = nvml.open_backend()
    backend.sample(0)
    backend.set_power_limit(0, 250)
    assert fake.set_limits == [(0, 250000)]
    assert backend.sample(0).power_limit_w == 250.0


def test_set_power_limit_without_root_raises_permission_required(recorded: Recorded) -> None:
    fake = recorded(RTX3080)
    fake.power_limit_error = "NO_PERMISSION"
    backend = nvml.open_backend()
    with pytest.raises(PermissionRequired) as caught:
        backend.set_power_limit(0, 250)
    assert "administrator" in caught.value.cause


def test_set_power_limit_outside_the_range_names_it(recorded: Recorded) -> None:
    recorded(RTX3080)
    with pytest.raises(GpuError) as caught:
        nvml.open_backend().set_power_limit(0, 50)
    assert caught.value.code == "invalid_value" and "100-370 W" in caught.value.cause


def test_unknown_index_is_a_clear_error(recorded: Recorded) -> None:
    recorded(RTX3080)
    with pytest.raises(GpuError, match="no GPU 3"):
        nvml.open_backend().sample(3)


def test_init_is_lazy_and_close_shuts_down(recorded: Recorded) -> None:
    fake = recorded(RTX3080)
    backend = nvml.NvmlBackend()
    assert fake.calls["nvmlInit"] == 0
    backend.sample(0)
    assert fake.calls["nvmlInit"] == 1
    backend.close()
    assert fake.calls["nvmlShutdown"] == 1
    assert backend.nvml_calls > 10


def test_without_a_power_field_power_comes_from_the_energy_counter(
    monkeypatch: pytest.MonkeyPatch, fake_pynvml: Any
) -> None:
    clock = [1000.0]
    recording = fake_pynvml.load_recording(RTX3080)
    fake = fake_pynvml.FakeNvml(recording, clock=lambda: clock[0]).install(monkeypatch.setattr)
    backend = nvml.NvmlBackend(clock=lambda: clock[0])
    assert backend.sample(0).power_w == pytest.approx(318.456)  # first reading: GetPowerUsage
    for _ in range(3):
        clock[0] += 2.0
        assert backend.sample(0).power_w == pytest.approx(318.456)  # energy delta / 2 s
    assert fake.calls["nvmlDeviceGetPowerUsage"] == 1
    assert fake.calls["nvmlDeviceGetTotalEnergyConsumption"] == 4
