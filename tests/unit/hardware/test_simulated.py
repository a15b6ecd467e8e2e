"""The simulated GPU: its thermal model, reason bits, faults and determinism."""

from __future__ import annotations

import pytest

from desktop.hardware.gpu import GpuBackend, GpuError, GpuLost, GpuProcess, PermissionRequired
from desktop.hardware.sim_profiles import PROFILES
from desktop.hardware.simulated import SimulatedBackend, parse_profiles
from desktop.model import (
    REASON_GPU_IDLE,
    REASON_HW_SLOWDOWN,
    REASON_HW_THERMAL,
    REASON_SW_POWER_CAP,
    REASON_SW_THERMAL,
    GpuSample,
)

T0 = 1_000_000.0
SETTLE_S = 1800.0  # 15+ time constants of the slowest profile


def frozen(profiles: list[str], seed: int = 0) -> SimulatedBackend:
    """A backend whose time moves only through advance()."""
    return SimulatedBackend(profiles, seed=seed, clock=lambda: T0)


def trace(sim: SimulatedBackend, index: int, seconds: int, step: float = 1.0) -> list[GpuSample]:
    out = []
    for _ in range(int(seconds / step)):
        sim.advance(step)
        out.append(sim.sample(index))
    return out


def steady_temp(sim: SimulatedBackend, index: int) -> float:
    """Mean core temperature over a minute after settling."""
    sim.advance(SETTLE_S)
    readings = [s.core_temp_c for s in trace(sim, index, 60)]
    assert all(r is not None for r in readings)
    return sum(r for r in readings if r is not None) / len(readings)


def test_it_is_a_gpu_backend_with_realistic_static_facts() -> None:
    sim = frozen(["cool", "warm", "hot", "broken-fan"])
    assert isinstance(sim, GpuBackend)
    infos = sim.devices()
    assert [i.name for i in infos][1] == "Simulated RTX 3080 (warm)"
    assert all(i.simulated and i.uuid.startswith("GPU-") for i in infos)
    assert len({i.uuid for i in infos}) == 4
    warm = infos[1]
    assert (warm.power.min_w, warm.power.max_w, warm.power.default_w) == (100, 370, 320)
    assert warm.thresholds.max_operating_c == 93 and warm.thresholds.shutdown_c == 98


@pytest.mark.parametrize(("profile", "target"), [("cool", 68.0), ("warm", 78.0), ("hot", 93.0)])
def test_full_load_settles_within_two_degrees_of_the_profile_target(
    profile: str, target: float
) -> None:
    sim = frozen([profile])
    sim.set_load(0, 1.0)
    assert steady_temp(sim, 0) == pytest.approx(target, abs=2.0)


def test_hot_would_settle_above_90_without_a_guard() -> None:
    sim = frozen(["hot"])
    sim.set_load(0, 1.0)
    assert steady_temp(sim, 0) > 90


def test_lowering_the_power_limit_by_30_percent_cools_hot_by_8_degrees_or_more() -> None:
    sim = frozen(["hot"])
    sim.set_load(0, 1.0)
    before = steady_temp(sim, 0)
    default = sim.devices()[0].power.default_w
    assert default is not None
    sim.set_power_limit(0, default * 0.7)
    after = steady_temp(sim, 0)
    assert before - after >= 8.0
    sample = sim.sample(0)
    assert sample.power_limit_w == pytest.approx(default * 0.7)
    assert sample.power_w is not None and sample.power_w <= default * 0.7


def test_idle_is_cool_quiet_and_flagged_idle() -> None:
    sim = frozen(["warm"])
    sim.advance(SETTLE_S)
    s = sim.sample(0)
    assert s.core_temp_c is not None and s.core_temp_c < 40
    assert s.power_w is not None and s.power_w < 40
    assert s.clock_event_reasons & REASON_GPU_IDLE
    assert s.pstate == 8 and s.gpu_util_pct == pytest.approx(0, abs=2)


def test_power_follows_load_up_to_the_limit() -> None:
    sim = frozen(["warm"])
    sim.set_load(0, 0.5)
    half = sim.sample(0)
    sim.set_load(0, 1.0)
    full = sim.sample(0)
    assert half.power_w is not None and full.power_w is not None
    assert 150 < half.power_w < 250
    assert full.power_w == pytest.approx(320, rel=0.04)
    assert not half.clock_event_reasons & REASON_SW_POWER_CAP
    assert full.clock_event_reasons & REASON_SW_POWER_CAP


def test_energy_counter_integrates_power_in_joules() -> None:
    sim = frozen(["warm"])
    sim.set_load(0, 1.0)
    first = sim.sample(0).energy_j
    sim.advance(100)
    second = sim.sample(0).energy_j
    assert first is not None and second is not None
    assert second - first == pytest.approx(320 * 100, rel=0.01)


def test_fan_follows_temperature() -> None:
    sim = frozen(["warm"])
    cold_fan = sim.sample(0).fan_pct
    sim.set_load(0, 1.0)
    sim.advance(SETTLE_S)
    hot_fan = sim.sample(0).fan_pct
    assert cold_fan is not None and hot_fan is not None and hot_fan > cold_fan + 20


def test_broken_fan_stays_at_zero_and_passes_shutdown_minus_5_under_load() -> None:
    sim = frozen(["broken-fan"])
    shutdown = sim.devices()[0].thresholds.shutdown_c
    assert shutdown is not None
    sim.set_load(0, 1.0)
    samples = trace(sim, 0, 900)
    temps = [s.core_temp_c or 0.0 for s in samples]
    assert all(s.fan_pct == 0 for s in samples)
    assert max(temps) >= shutdown - 5
    assert max(temps) < shutdown  # the driver's HW slowdown catches it before shutdown


def test_sw_thermal_appears_near_max_operating_and_not_before() -> None:
    sim = frozen(["broken-fan"])
    maxop = sim.devices()[0].thresholds.max_operating_c
    assert maxop is not None
    sim.set_load(0, 1.0)
    seen = False
    for s in trace(sim, 0, 300):
        assert s.core_temp_c is not None
        if s.core_temp_c <= maxop - 2:
            assert not s.clock_event_reasons & REASON_SW_THERMAL
        if s.clock_event_reasons & REASON_SW_THERMAL:
            seen = True
            assert s.core_temp_c >= maxop - 2
    assert seen


def test_hw_slowdown_engages_at_the_slowdown_point_and_halves_power() -> None:
    sim = frozen(["broken-fan"])
    slowdown = sim.devices()[0].thresholds.slowdown_c
    assert slowdown is not None
    sim.set_load(0, 1.0)
    hw_bits = REASON_HW_SLOWDOWN | REASON_HW_THERMAL
    first_hw = next(s for s in trace(sim, 0, 900) if s.clock_event_reasons & REASON_HW_SLOWDOWN)
    assert first_hw.clock_event_reasons & hw_bits == hw_bits
    assert first_hw.core_temp_c is not None and first_hw.core_temp_c >= slowdown - 1
    assert first_hw.power_w is not None and first_hw.power_w < 0.6 * 220
    assert first_hw.sm_clock_mhz is not None and first_hw.sm_clock_mhz < 1000


def test_memory_temperature_only_on_the_hot_card() -> None:
    sim = frozen(["cool", "warm", "hot", "broken-fan"])
    mem = [sim.sample(i).mem_temp_c for i in range(4)]
    assert mem[0] is None and mem[1] is None and mem[3] is None
    assert mem[2] is not None
    assert sim.devices()[2].thresholds.memory_max_c is not None


def test_hot_memory_over_its_maximum_sets_sw_thermal() -> None:
    sim = frozen(["hot"])
    sim.set_load(0, 1.0)
    sim.advance(SETTLE_S)
    s = sim.sample(0)
    mem_max = sim.devices()[0].thresholds.memory_max_c
    assert s.mem_temp_c is not None and mem_max is not None and s.mem_temp_c >= mem_max - 1
    assert s.clock_event_reasons & REASON_SW_THERMAL


def test_same_seed_same_trace_and_another_seed_differs() -> None:
    def run(seed: int) -> list[GpuSample]:
        sim = frozen(["warm", "hot"], seed=seed)
        sim.set_load(0, 0.8)
        sim.set_load(1, 1.0)
        return trace(sim, 0, 120, 2.0) + trace(sim, 1, 120, 2.0)

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_speed_makes_simulated_time_run_faster() -> None:
    wall = [T0]
    sim = SimulatedBackend(["warm"], speed=20.0, clock=lambda: wall[0])
    sim.set_load(0, 1.0)
    wall[0] += 30.0  # 30 wall seconds = 600 simulated seconds
    s = sim.sample(0)
    assert sim.clock() == pytest.approx(T0 + 600)
    assert s.core_temp_c is not None and s.core_temp_c > 70  # ten minutes of heat
    assert s.ts == pytest.approx(T0 + 30)  # stamped with the wall clock: one clock (#13)


def test_huge_speed_and_long_gaps_stay_stable() -> None:
    wall = [T0]
    sim = SimulatedBackend(["hot"], speed=10_000.0, clock=lambda: wall[0])
    sim.set_load(0, 1.0)
    for _ in range(5):
        wall[0] += 3600.0  # an hour of wall time = over a year simulated
        s = sim.sample(0)
        assert s.core_temp_c == pytest.approx(93, abs=2)


def test_read_errors_fail_the_next_reads_then_clear() -> None:
    sim = frozen(["warm"])
    sim.inject_fault(0, "read_error", count=2)
    for _ in range(2):
        with pytest.raises(GpuError) as caught:
            sim.sample(0)
        assert caught.value.code == "read_error" and not isinstance(caught.value, GpuLost)
    assert sim.sample(0).gpu_index == 0


def test_gpu_lost_until_cleared() -> None:
    sim = frozen(["warm", "hot"])
    sim.inject_fault(1, "gpu_lost")
    for call in (lambda: sim.sample(1), lambda: sim.processes(1)):
        with pytest.raises(GpuLost):
            call()
    assert sim.sample(0).gpu_index == 0  # the other card is fine
    sim.inject_fault(1, "clear")
    assert sim.sample(1).gpu_index == 1


def test_unknown_fault_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="read_error, gpu_lost, clear"):
        frozen(["warm"]).inject_fault(0, "melt")


def test_set_power_limit_needs_privilege_when_asked() -> None:
    sim = frozen(["warm"])
    sim.requires_privilege = True
    with pytest.raises(PermissionRequired):
        sim.set_power_limit(0, 250)
    assert sim.sample(0).power_limit_w == 320


def test_set_power_limit_outside_the_range_names_it() -> None:
    with pytest.raises(GpuError, match="100-370 W"):
        frozen(["warm"]).set_power_limit(0, 400)


def test_processes_show_the_job_and_added_processes() -> None:
    sim = frozen(["warm"])
    assert sim.processes(0) == []
    sim.set_load(0, 1.0, vram_mib=4000)
    sim.add_process(0, GpuProcess(777, 1200.0, "game.exe"))
    procs = {p.pid: p for p in sim.processes(0)}
    assert procs[777].name == "game.exe"
    job = next(p for p in procs.values() if p.pid != 777)
    assert job.used_vram_mib == 4000
    # desktop 350 + the job's 4000 + the game's 1200: other programs count, as on a real card
    assert sim.sample(0).vram_used_mib == pytest.approx(5550)
    sim.remove_process(0, 777)
    assert 777 not in {p.pid for p in sim.processes(0)}
    assert sim.sample(0).vram_used_mib == pytest.approx(4350)


def test_bad_inputs_are_refused_clearly() -> None:
    sim = frozen(["warm"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        sim.set_load(0, 1.5)
    with pytest.raises(GpuError, match="no GPU 2"):
        sim.sample(2)
    with pytest.raises(ValueError, match="positive"):
        SimulatedBackend(["warm"], speed=0)


def test_parse_profiles() -> None:
    assert parse_profiles("warm,hot") == ["warm", "hot"]
    assert parse_profiles(" Broken_Fan , cool ") == ["broken-fan", "cool"]
    with pytest.raises(ValueError, match="valid profiles: cool, warm, hot, broken-fan"):
        parse_profiles("warm,lukewarm")
    with pytest.raises(ValueError, match="no simulated GPU profile"):
        parse_profiles(" , ")
    assert set(PROFILES) == {"cool", "warm", "hot", "broken-fan"}
