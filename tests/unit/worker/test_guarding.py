"""The guard loop: scripted samples in, calls on the worker's parts and events out."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from desktop.guard.activity_probe import probe_processes
from desktop.hardware.gpu import GpuProcess, PermissionRequired
from desktop.model import (
    REASON_HW_SLOWDOWN,
    REASON_HW_THERMAL,
    Event,
    GpuInfo,
    GpuSample,
    NetworkPenalties,
    PowerLimits,
    Severity,
    ThermalThresholds,
)
from desktop.settings import Settings, SettingsError, SettingsStore
from desktop.worker.guarding import GuardLoop, Probes

T0 = 1_700_000_000.0
# Max operating 93 / slowdown 95 / shutdown 98 °C: soft 80, pause 85, resume 70, emergency 90.
LIMITS = ThermalThresholds(93.0, 95.0, 98.0, None)
INFO = GpuInfo(0, "GPU-aaaa", "NVIDIA RTX test card", 8192, "550.54", "12.4",
               PowerLimits(100.0, 300.0, 250.0, 250.0), LIMITS)  # fmt: skip
DEMO = NetworkPenalties(pause_voids_job_pay=True)
NOPAUSE = NetworkPenalties(can_pause=False)


@dataclass
class FakeActions:
    """Records every call; a job of ``owner`` runs on GPU 0 until stopped."""

    owner: str | None = "local"
    pens: dict[str, NetworkPenalties] = field(default_factory=dict)
    refuse_power: bool = False
    processes: list[GpuProcess] = field(default_factory=list)
    ours: set[int] = field(default_factory=set)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    lists: int = 0  # process lists fetched

    def set_power_limit(self, gpu: int, watts: float) -> None:
        if self.refuse_power:
            raise PermissionRequired("no_permission", "needs root", "run as root")
        self.calls.append(("set_power_limit", gpu, watts))

    def restore_power_limit(self, gpu: int, watts: float) -> None:
        self.calls.append(("restore_power_limit", gpu, watts))

    def pause_gpu(self, gpu: int, reason: str) -> None:
        self.calls.append(("pause_gpu", gpu))

    def resume_gpu(self, gpu: int, reason: str) -> None:
        self.calls.append(("resume_gpu", gpu))

    def rest_gpu(self, gpu: int, reason: str) -> None:
        self.calls.append(("rest_gpu", gpu))

    def wake_gpu(self, gpu: int, reason: str) -> None:
        self.calls.append(("wake_gpu", gpu))

    def stop_gpu(self, gpu: int, reason: str) -> None:
        self.calls.append(("stop_gpu", gpu))
        self.owner = None

    def kill_gpu(self, gpu: int, reason: str) -> None:
        self.calls.append(("kill_gpu", gpu))
        self.owner = None

    def pause_network(self, network: str, reason: str) -> None:
        self.calls.append(("pause_network", network))

    def stop_network_now(self, network: str, reason: str) -> None:
        self.calls.append(("stop_network_now", network))

    def resume_network(self, network: str, reason: str) -> None:
        self.calls.append(("resume_network", network))

    def penalties(self) -> Mapping[str, NetworkPenalties]:
        return self.pens

    def job_running(self, gpu: int) -> Mapping[str, bool]:
        return {self.owner: True} if self.owner else {}

    def our_pids(self) -> set[int]:
        return self.ours

    def gpu_processes(self, gpu: int) -> list[GpuProcess] | None:
        self.lists += 1
        return list(self.processes)

    def kinds(self) -> list[str]:
        return [c[0] for c in self.calls]


class Rig:
    """A guard loop in inline mode on a scripted clock."""

    def __init__(self, tmp: Path, actions: FakeActions | None = None, *, can_set: bool = True,
                 settings: Mapping[str, Any] | None = None, names: set[str] | None = None,
                 info: GpuInfo = INFO) -> None:  # fmt: skip
        self.t = T0
        self.actions = actions or FakeActions()
        self.events: list[Event] = []
        self.settings = Settings(settings or {})
        self.names = names if names is not None else set()
        probes = Probes(lambda: set(self.names), lambda: None, lambda: None)
        self.guard = GuardLoop([info], lambda k: self.settings.get(k), self.actions,
                               self.events.append, lambda: self.t, can_set, data_dir=tmp,
                               probes=probes, inline=True)  # fmt: skip
        self.guard.start()

    def feed(self, core: float, n: int = 1, dt: float = 2.0, **kw: Any) -> None:
        for _ in range(n):
            self.t += dt
            self.guard.on_sample(sample(self.t, core, **kw))

    def tick(self, n: int = 1, dt: float = 2.0, core: float | None = 60.0) -> None:
        """Guard rounds, each after a reading at ``core`` (None: the sensor went quiet)."""
        for _ in range(n):
            self.t += dt
            if core is not None:
                self.guard.on_sample(sample(self.t, core))
            self.guard.tick(self.t)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def sample(ts: float, core: float, *, mem: float | None = None, bits: int = 0,
           fan: float = 60.0, power_limit: float = 250.0, vram: float = 4000.0,
           util: float = 100.0) -> GpuSample:  # fmt: skip
    return GpuSample(ts, 0, "GPU-aaaa", core, mem, 240.0, None, util, 50.0, vram, 8192.0,
                     fan, 1800.0, 7000.0, bits, 0, power_limit)  # fmt: skip


# --- thermal paths ---------------------------------------------------------------------


def test_soft_limit_lowers_the_power_limit_once_then_restores_it(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(60, 5)
    assert rig.actions.calls == [] and rig.events == []
    calm = rig.guard.decision(0)
    assert calm is not None and calm.reason == "GPU at 60 °C, below your soft limit of 80 °C."
    rig.feed(81, 3)
    assert rig.actions.calls == [("set_power_limit", 0, 225.0)]
    [event] = rig.events
    assert event.kind == "guard.set_power_limit" and event.data["power_limit_w"] == 225.0
    assert "soft limit of 80 °C" in event.message
    rig.feed(81, 5)  # within throttle_step_s: no second step, no repeated event
    assert len(rig.events) == 1
    rig.feed(60, 200)  # cool for well over a cooldown: back to the user's own limit
    assert rig.actions.calls[-1] == ("restore_power_limit", 0, 250.0)
    assert rig.kinds()[-1] == "guard.restore_power_limit"
    assert rig.guard.status(0)["power_limit_w"] is None


def test_pause_limit_pauses_the_gpu_and_resumes_after_the_cooldown(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(86, 9)
    assert "pause_gpu" in rig.actions.kinds()
    pause = next(e for e in rig.events if e.kind == "guard.pause")
    assert pause.severity is Severity.WARNING and "pause limit of 85 °C" in pause.message
    assert rig.guard.state(0) == "cooling"
    assert rig.guard.decision(0).action.value == "pause"  # type: ignore[union-attr]
    rig.feed(69, 30)  # 60 s: cool but inside the 120 s cooldown
    assert "resume_gpu" not in rig.actions.kinds()
    rig.feed(69, 40)
    assert rig.actions.kinds().count("resume_gpu") == 1
    run = next(e for e in rig.events if e.kind == "guard.run")
    assert "work resumed" in run.message
    assert rig.guard.state(0) in ("ok", "throttled")


def test_hardware_thermal_bits_pause_and_power_is_restored_while_paused(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(81, 3)
    assert rig.actions.calls[-1][0] == "set_power_limit"
    rig.feed(82, 2, bits=REASON_HW_THERMAL | REASON_HW_SLOWDOWN)
    kinds = rig.actions.kinds()
    assert kinds[-2:] == ["pause_gpu", "restore_power_limit"]  # paused work: user's limit back
    assert "cutting its own clocks" in rig.events[-2].message


def test_emergency_kills_until_the_user_resumes_then_waits_for_cool(tmp_path: Path) -> None:
    actions = FakeActions(owner="demo", pens={"demo": DEMO})
    rig = Rig(tmp_path, actions)
    rig.feed(91, 3)
    assert ("kill_gpu", 0) in actions.calls and ("stop_network_now", "demo") in actions.calls
    assert ("pause_network", "demo") not in actions.calls  # no graceful wait for its job
    kill = next(e for e in rig.events if e.kind == "guard.kill")
    assert kill.severity is Severity.CRITICAL and kill.network == "demo"
    assert "emergency limit of 90 °C" in kill.message
    rig.feed(60, 100)  # cool again: still no automatic resume
    assert "resume_gpu" not in actions.kinds() and rig.guard.state(0) == "emergency"
    rig.guard.user_resume("all")
    assert rig.guard.state(0) == "cooling"
    assert actions.kinds()[-1] == "resume_network"  # offers wait for the held GPU
    rig.feed(60, 70)
    assert actions.kinds()[-1] == "resume_gpu"


def test_gpu_lost_is_an_emergency_and_failed_reads_fail_closed(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(60, 3)
    rig.guard.on_sample_failure(0, "read_error")
    rig.guard.on_sample_failure(0, "read_error")
    assert rig.actions.calls == []
    rig.guard.on_sample_failure(0, "read_error")
    assert rig.actions.kinds() == ["pause_gpu"]
    assert "could not be read 3 times" in rig.events[-1].message
    lost = Event(rig.t, "gpu.lost", Severity.CRITICAL, "gone", gpu_index=0)
    rig.guard.on_sampler_event(lost)
    assert rig.actions.kinds()[-1] == "kill_gpu"
    assert "stopped responding" in rig.events[-1].message


def test_no_readings_at_all_count_as_failures(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(60, 5)
    rig.tick(3, dt=12, core=None)  # 36 s without a sample: three stale ticks
    assert rig.actions.kinds() == ["pause_gpu"]


def test_a_network_that_cannot_pause_is_stopped_and_paused(tmp_path: Path) -> None:
    actions = FakeActions(owner="nosana", pens={"nosana": NOPAUSE})
    rig = Rig(tmp_path, actions)
    rig.feed(86, 9)
    assert ("stop_gpu", 0) in actions.calls and ("pause_network", "nosana") in actions.calls
    stop = next(e for e in rig.events if e.kind == "guard.stop")
    assert "cannot pause work, so it was stopped" in stop.message


# --- duty cycle and power privilege ------------------------------------------------------


def test_without_privilege_the_soft_limit_duty_cycles_quietly(tmp_path: Path) -> None:
    rig = Rig(tmp_path, can_set=False)
    rig.feed(81, 3)
    [event] = rig.events
    assert event.kind == "guard.duty_cycle" and event.data["duty_cycle"] == pytest.approx(50 / 60)
    assert rig.actions.kinds() == ["rest_gpu"]  # a cycle starts with its 10 s rest
    rig.feed(81, 5)  # 10 s later: running again
    assert rig.actions.kinds() == ["rest_gpu", "wake_gpu"]
    rig.feed(81, 25)  # the next minute rests again
    assert rig.actions.kinds().count("rest_gpu") == 2
    assert not any(k in ("set_power_limit", "pause_gpu", "resume_gpu") for k in rig.actions.kinds())
    assert set(rig.kinds()) == {"guard.duty_cycle"}  # its start (and each new duty) only
    rig.feed(60, 200)  # cool: the duty cycle ends with one event
    assert rig.kinds()[-1] == "guard.run" and rig.kinds().count("guard.run") == 1
    assert rig.guard.status(0)["work"] == "run"


def test_a_heat_pause_during_a_rest_is_announced_and_resumed_loudly(tmp_path: Path) -> None:
    rig = Rig(tmp_path, can_set=False)
    rig.feed(81, 3)  # a rest begins
    rig.feed(82, 3, dt=0.5, bits=REASON_HW_THERMAL | REASON_HW_SLOWDOWN)  # the card brakes
    # out of the rest quietly, into a pause the job service announces
    assert rig.actions.kinds() == ["rest_gpu", "wake_gpu", "pause_gpu"]
    assert rig.guard.status(0)["work"] == "pause"
    rig.feed(69, 70)  # cool after the cooldown: the announced pause ends with a resume
    assert rig.actions.kinds()[3:] == ["resume_gpu"]


def test_a_refused_power_limit_falls_back_to_duty_cycling(tmp_path: Path) -> None:
    actions = FakeActions(refuse_power=True)
    rig = Rig(tmp_path, actions, can_set=True)
    rig.feed(81, 3)
    error = next(e for e in rig.events if e.kind == "guard.error")
    assert "needs root" in error.message
    rig.feed(81, 3)
    assert "guard.duty_cycle" in rig.kinds() and "rest_gpu" in actions.kinds()


# --- power limits across restarts --------------------------------------------------------


def test_close_restores_and_the_next_start_reapplies_until_cool(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(81, 3)
    rig.guard.close()
    assert rig.actions.calls[-1] == ("restore_power_limit", 0, 250.0)
    saved = json.loads((tmp_path / "power-limits.json").read_text())
    assert saved["gpus"]["GPU-aaaa"] == {"original_w": 250.0, "applied_w": 225.0}

    again = Rig(tmp_path)  # the card is back at 250 W: re-apply the remembered limit
    assert again.actions.calls == [("set_power_limit", 0, 225.0)]
    assert "Re-applied the 225 W" in again.events[0].message
    again.feed(60, 40)
    assert again.actions.calls == [("set_power_limit", 0, 225.0)]  # held during the cooldown
    again.feed(60, 40)
    assert again.actions.calls[-1] == ("restore_power_limit", 0, 250.0)
    assert json.loads((tmp_path / "power-limits.json").read_text())["gpus"] == {}


def test_after_a_crash_the_original_limit_is_the_ceiling(tmp_path: Path) -> None:
    (tmp_path / "power-limits.json").write_text(
        json.dumps({"version": 1, "gpus": {"GPU-aaaa": {"original_w": 280.0, "applied_w": 250.0}}})
    )
    rig = Rig(tmp_path)  # the card still has our 250 W: the user's own was 280 W
    assert rig.guard.power.original(0) == 280.0
    rig.feed(60, 80)
    assert rig.actions.calls[-1] == ("restore_power_limit", 0, 280.0)


def test_a_limit_the_user_changed_while_stopped_wins(tmp_path: Path) -> None:
    (tmp_path / "power-limits.json").write_text(
        json.dumps({"version": 1, "gpus": {"GPU-aaaa": {"original_w": 300.0, "applied_w": 200.0}}})
    )
    rig = Rig(tmp_path)  # the card reports 250 W: neither ours nor the old original
    assert rig.actions.calls == [] and rig.guard.power.original(0) == 250.0


def test_a_user_cap_for_work_applies_while_work_runs(tmp_path: Path) -> None:
    rig = Rig(tmp_path, settings={"thermal.user_power_limit_w": 200})
    rig.feed(60, 2)
    assert rig.actions.calls == [("set_power_limit", 0, 200.0)]
    rig.feed(81, 3)  # the throttle steps down from the cap, not from the card's 250 W
    assert rig.actions.calls[-1] == ("set_power_limit", 0, 180.0)


# --- activity, schedule, user ------------------------------------------------------------


def test_a_game_stops_work_and_frees_vram_then_resumes_after_quiet(tmp_path: Path) -> None:
    actions = FakeActions(owner="demo", pens={"demo": DEMO})
    rig = Rig(tmp_path, actions, settings={"gaming.quiet_period_s": 30}, names={"bash"})
    rig.feed(60, 1)
    rig.tick()
    assert actions.calls == []
    rig.names.add("cs2")
    rig.tick()
    assert actions.kinds() == ["stop_gpu", "pause_network"]
    assert rig.guard.state(0) == "gaming"
    stop = next(e for e in rig.events if e.kind == "guard.stop")
    assert "cs2 is running" in stop.message and stop.data["source"] == "activity"
    rig.names.discard("cs2")
    rig.tick(10)  # 20 s of quiet: still waiting
    assert "resume_gpu" not in actions.kinds()
    rig.tick(6)
    assert actions.kinds()[-2:] == ["resume_gpu", "resume_network"]


def test_a_foreign_gpu_process_stops_work_but_our_own_does_not(tmp_path: Path) -> None:
    actions = FakeActions(processes=[GpuProcess(4242, 900.0, "blender")], ours={4242})
    rig = Rig(tmp_path, actions, settings={"gaming.quiet_period_s": 0})
    rig.tick()
    assert actions.calls == []
    actions.ours = set()
    rig.tick(5)  # the next process list is due 10 s after the last one
    assert actions.kinds() == ["stop_gpu"]
    assert "blender (pid 4242) is using the GPU" in rig.events[-1].message


def test_a_program_on_the_gpu_is_seen_at_the_next_reading_not_the_next_list(
    tmp_path: Path,
) -> None:
    actions = FakeActions(processes=[GpuProcess(11, 3000.0, "python")], ours={11})
    rig = Rig(tmp_path, actions, settings={"gaming.quiet_period_s": 0})
    rig.tick()  # the routine list: only our job
    rig.feed(60, 1)
    assert actions.lists == 1 and actions.calls == []
    actions.processes.append(GpuProcess(4242, 2048.0, "blender"))
    rig.feed(60, 1, vram=6048.0)  # 4 s after the list: VRAM rose by 2 GiB
    assert actions.kinds() == ["stop_gpu"] and actions.lists == 2
    assert "blender (pid 4242) is using the GPU" in rig.events[-1].message


def test_steady_readings_keep_the_lists_at_one_per_10_s(tmp_path: Path) -> None:
    actions = FakeActions(processes=[GpuProcess(11, 3000.0, "python")], ours={11})
    rig = Rig(tmp_path, actions)
    rig.tick(150)  # 300 s with our job at a steady 4 GB, 100 % busy
    assert actions.lists == 30 and actions.calls == []
    assert rig.guard._gpus[0].looks.early == 0  # noqa: SLF001 - the loop's own count


def test_a_busy_gpu_with_none_of_our_work_is_looked_at_once(tmp_path: Path) -> None:
    actions = FakeActions(owner=None)
    rig = Rig(tmp_path, actions)
    rig.feed(60, 1, util=0.0)
    rig.tick(core=None)  # the routine list
    rig.feed(60, 1, util=0.0)
    rig.feed(60, 1, util=95.0)  # 4 s after the list: busy, and not with our work
    assert actions.lists == 2
    rig.feed(60, 30, util=95.0)  # still busy: the routine lists only, no more early looks
    assert actions.lists == 2 and rig.guard._gpus[0].looks.early == 1  # noqa: SLF001
    rig.tick(5, core=None)  # (the routine comes with the ticks)
    assert actions.lists == 3


def test_no_early_look_while_pausing_for_games_is_off(tmp_path: Path) -> None:
    actions = FakeActions()
    rig = Rig(tmp_path, actions, settings={"gaming.enabled": False})
    rig.feed(60, 3, vram=8000.0, util=100.0)
    rig.tick(10)
    assert actions.lists == 0


def test_an_emergency_stops_an_already_paused_network_at_once(tmp_path: Path) -> None:
    actions = FakeActions(owner="nosana", pens={"nosana": NOPAUSE})
    rig = Rig(tmp_path, actions)
    rig.feed(86, 9)  # too hot: a network that cannot pause is stopped and paused gracefully
    assert {"stop_gpu", "pause_network"} <= set(actions.kinds())
    rig.feed(91, 3)  # then an emergency: its agent is stopped at once, not waited for
    assert actions.kinds()[-1] == "stop_network_now"
    rig.feed(91, 3)
    assert actions.kinds().count("stop_network_now") == 1
    rig.guard.user_resume("all")
    rig.feed(60, 70)
    assert actions.kinds()[-2:] == ["resume_gpu", "resume_network"]


def test_schedule_waits_for_a_job_whose_pay_a_pause_would_void(tmp_path: Path) -> None:
    never = [{"days": [0], "start": "00:00", "end": "00:01"}]  # T0 is a Tuesday
    actions = FakeActions(owner="demo", pens={"demo": DEMO})
    rig = Rig(tmp_path, actions, settings={"schedule.enabled": True, "schedule.windows": never})
    rig.tick()
    assert actions.calls == [] and rig.guard.state(0) == "off_hours"
    actions.owner = None  # the job ended
    rig.tick()
    assert actions.kinds() == ["pause_gpu"] and rig.guard.state(0) == "off_hours"


def test_user_pause_and_resume(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.guard.user_pause("gpu", gpu=0, reason="rendering")
    assert rig.actions.kinds() == ["pause_gpu"] and rig.guard.state(0) == "paused"
    assert rig.events[-1].message == "You paused GPU 0 (rendering)."
    rig.guard.user_resume("gpu", gpu=0)
    assert rig.actions.kinds() == ["pause_gpu", "resume_gpu"]


def test_a_user_pause_of_another_network_leaves_this_job_running(tmp_path: Path) -> None:
    actions = FakeActions(owner="demo", pens={"demo": DEMO, "other": NetworkPenalties()})
    rig = Rig(tmp_path, actions)
    rig.guard.user_pause("network", network="other")
    assert actions.calls == [("pause_network", "other")]  # its agent and offers pause
    assert rig.events[-1].network == "other" and rig.guard.state(0) == "ok"
    rig.guard.user_pause("network", network="demo")
    assert actions.kinds()[-2:] == ["pause_gpu", "pause_network"]
    rig.guard.user_resume("all")
    assert sorted(actions.calls[-3:]) == [
        ("resume_gpu", 0),
        ("resume_network", "demo"),
        ("resume_network", "other"),
    ]


# --- settings and status -----------------------------------------------------------------


def test_an_unsafe_pause_limit_is_refused_by_the_settings_store(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    store = SettingsStore(tmp_path / "settings.json")
    with pytest.raises(SettingsError) as err:
        store.patch({"thermal.pause_limit_c": 96}, rig.guard.extra_validators())
    assert err.value.field == "thermal.pause_limit_c"
    assert "above this card's slowdown point of 95 °C" in err.value.message
    assert store.patch({"thermal.pause_limit_c": 75}, rig.guard.extra_validators())


def test_new_limits_apply_without_a_restart(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(76, 6)
    assert rig.actions.calls == []
    rig.settings = rig.settings.replace({"thermal.pause_limit_c": 75})
    rig.tick()  # the loop notices the change by itself
    rig.feed(76, 6)
    assert "pause_gpu" in rig.actions.kinds()
    assert rig.guard.status(0)["limits"]["pause_c"] == 75.0


def test_status_reports_the_guard_for_the_api(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(81, 3)
    status = rig.guard.status(0)
    assert status["action"] == "throttle" and status["source"] == "thermal"
    assert status["state"] == "throttled" and status["power_limit_w"] == 225.0
    assert status["vram_temperature_reported"] is False
    rig.feed(81, 1, mem=70.0)
    assert rig.guard.status(0)["vram_temperature_reported"] is True
    assert rig.guard.status(7)["state"] == "unguarded"


def test_the_guard_thread_pauses_within_a_second(tmp_path: Path) -> None:
    actions = FakeActions()
    clock = [T0]
    guard = GuardLoop([INFO], Settings().get, actions, lambda e: None, lambda: clock[0], True,
                      probes=Probes(probe_processes, lambda: None, lambda: None))  # fmt: skip
    guard.start()
    try:
        for i in range(9):
            clock[0] = T0 + 2 * i
            guard.on_sample(sample(clock[0], 88))
        deadline = time.monotonic() + 1.0
        while "pause_gpu" not in actions.kinds():
            assert time.monotonic() < deadline, actions.calls
            time.sleep(0.005)
    finally:
        guard.close()


def test_a_damaged_power_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "power-limits.json").write_text("{not json")
    rig = Rig(tmp_path)
    assert rig.actions.calls == [] and rig.guard.power.original(0) == 250.0
    rig.feed(81, 3)  # and a good file is written again
    saved = json.loads((tmp_path / "power-limits.json").read_text())
    assert saved["gpus"]["GPU-aaaa"]["applied_w"] == 225.0


def test_the_workers_pauses_drive_the_gpu_side(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(91, 3)  # an emergency: only a resume from the user lifts it
    assert rig.actions.kinds() == ["kill_gpu"]
    item = {"scope": "all", "since_ts": T0, "until_ts": None, "reason": "dinner"}
    rig.guard.apply_user_pauses({"all": True, "items": [item]})
    assert rig.guard.state(0) == "emergency"  # the heat stop still outranks the pause
    rig.guard.apply_user_pauses({"all": False, "items": []})  # "press Resume"
    assert rig.guard.state(0) == "cooling"
    rig.feed(60, 70)
    assert rig.actions.kinds()[-1] == "resume_gpu"
