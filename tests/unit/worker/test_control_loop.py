"""The control loop: scripted samples in, calls on the worker's hands and events out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.guard.activity_probe import probe_processes
from desktop.hardware.gpu import GpuProcess
from desktop.model import (
    REASON_HW_SLOWDOWN,
    REASON_HW_THERMAL,
    Event,
    HoldKind,
    NetworkPenalties,
    Severity,
)
from desktop.settings import Settings, SettingsError, SettingsStore
from desktop.worker.control_loop import ControlLoop, Probes
from desktop.worker.user_holds import UserHolds
from tests.unit.worker.control_rig import DEMO, INFO, NOPAUSE, T0, FakeHands, Rig, sample

# --- thermal paths ---------------------------------------------------------------------


def test_soft_limit_lowers_the_power_limit_once_then_restores_it(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(60, 5)
    assert rig.hands.calls == [] and rig.events == []
    calm = rig.loop.guards[0].decisions()[0]
    assert calm.reason == "GPU at 60 °C, below your soft limit of 80 °C."
    rig.feed(81, 3)
    assert rig.hands.calls == [("set_power_limit", 0, 225.0)]
    [event] = rig.events
    assert event.kind == "guard.set_power_limit" and event.data["power_limit_w"] == 225.0
    assert "soft limit of 80 °C" in event.message
    rig.feed(81, 5)  # within throttle_step_s: no second step, no repeated event
    assert len(rig.events) == 1
    rig.feed(60, 200)  # cool for well over a cooldown: back to the user's own limit
    assert rig.hands.calls[-1] == ("restore_power_limit", 0, 250.0)
    assert rig.kinds()[-1] == "guard.restore_power_limit"
    assert rig.record().cap_w is None


def test_pause_limit_pauses_the_gpu_and_resumes_after_the_cooldown(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(86, 9)
    assert "pause_gpu" in rig.hands.kinds()
    pause = next(e for e in rig.events if e.kind == "guard.pause")
    assert pause.severity is Severity.WARNING and "pause limit of 85 °C" in pause.message
    assert rig.top() is HoldKind.THERMAL and rig.record().holds[0].action.value == "pause"
    rig.feed(69, 30)  # 60 s: cool but inside the 120 s cooldown
    assert "resume_gpu" not in rig.hands.kinds()
    rig.feed(69, 40)
    assert rig.hands.kinds().count("resume_gpu") == 1
    run = next(e for e in rig.events if e.kind == "guard.run")
    assert "work resumed" in run.message
    assert rig.top() is None


def test_hardware_thermal_bits_pause_and_power_is_restored_while_paused(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(81, 3)
    assert rig.hands.calls[-1][0] == "set_power_limit"
    rig.feed(82, 2, bits=REASON_HW_THERMAL | REASON_HW_SLOWDOWN)
    kinds = rig.hands.kinds()
    assert kinds[-2:] == ["pause_gpu", "restore_power_limit"]  # paused work: user's limit back
    assert "cutting its own clocks" in rig.events[-2].message


def test_emergency_kills_until_the_user_resumes_then_waits_for_cool(tmp_path: Path) -> None:
    hands = FakeHands(owner="demo", pens={"demo": DEMO})
    rig = Rig(tmp_path, hands)
    rig.feed(91, 3)
    assert ("kill_gpu", 0) in hands.calls and ("stop_network_now", "demo") in hands.calls
    assert ("pause_network", "demo") not in hands.calls  # no graceful wait for its job
    kill = next(e for e in rig.events if e.kind == "guard.kill")
    assert kill.severity is Severity.CRITICAL and kill.network == "demo"
    assert "emergency limit of 90 °C" in kill.message
    rig.feed(60, 100)  # cool again: still no automatic resume
    assert "resume_gpu" not in hands.kinds() and rig.top() is HoldKind.EMERGENCY
    rig.resume("all")
    assert rig.top() is HoldKind.THERMAL
    assert hands.kinds()[-1] == "resume_network"  # offers wait for the held GPU
    rig.feed(60, 70)
    assert hands.kinds()[-1] == "resume_gpu"


def test_gpu_lost_is_an_emergency_and_failed_reads_fail_closed(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(60, 3)
    failing = Event(rig.t, "sensor.failure", Severity.ERROR, "x", 0, data={"code": "read_error"})
    rig.loop.on_sampler_event(failing)
    assert rig.hands.kinds() == ["pause_gpu"]
    assert "could not be read 3 times" in rig.events[-1].message
    lost = Event(rig.t, "gpu.lost", Severity.CRITICAL, "gone", gpu_index=0)
    rig.loop.on_sampler_event(lost)
    assert rig.hands.kinds()[-1] == "kill_gpu"
    assert "stopped responding" in rig.events[-1].message


def test_no_readings_at_all_count_as_failures(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(60, 5)
    rig.tick(3, dt=12, core=None)  # 36 s without a sample: three stale ticks
    assert rig.hands.kinds() == ["pause_gpu"]


def test_a_network_that_cannot_pause_is_stopped_and_paused(tmp_path: Path) -> None:
    hands = FakeHands(owner="nosana", pens={"nosana": NOPAUSE})
    rig = Rig(tmp_path, hands)
    rig.feed(86, 9)
    assert ("stop_gpu", 0) in hands.calls and ("pause_network", "nosana") in hands.calls
    stop = next(e for e in rig.events if e.kind == "guard.stop")
    assert "cannot pause work, so it was stopped" in stop.message


# --- duty cycle and power privilege ------------------------------------------------------


def test_without_privilege_the_soft_limit_duty_cycles_quietly(tmp_path: Path) -> None:
    rig = Rig(tmp_path, can_set=False)
    rig.feed(81, 3)
    [event] = rig.events
    assert event.kind == "guard.duty_cycle" and event.data["duty_cycle"] == pytest.approx(50 / 60)
    assert rig.hands.kinds() == ["rest_gpu"]  # a cycle starts with its 10 s rest
    rig.feed(81, 5)  # 10 s later: running again
    assert rig.hands.kinds() == ["rest_gpu", "wake_gpu"]
    rig.feed(81, 25)  # the next minute rests again
    assert rig.hands.kinds().count("rest_gpu") == 2
    assert not any(k in ("set_power_limit", "pause_gpu", "resume_gpu") for k in rig.hands.kinds())
    assert set(rig.kinds()) == {"guard.duty_cycle"}  # its start (and each new duty) only
    rig.feed(60, 200)  # cool: the duty cycle ends with one event
    assert rig.kinds()[-1] == "guard.run" and rig.kinds().count("guard.run") == 1
    assert rig.record().work == "run"


def test_a_heat_pause_during_a_rest_is_announced_and_resumed_loudly(tmp_path: Path) -> None:
    rig = Rig(tmp_path, can_set=False)
    rig.feed(81, 3)  # a rest begins
    rig.feed(82, 3, dt=0.5, bits=REASON_HW_THERMAL | REASON_HW_SLOWDOWN)  # the card brakes
    # out of the rest quietly, into a pause the job service announces
    assert rig.hands.kinds() == ["rest_gpu", "wake_gpu", "pause_gpu"]
    assert rig.record().work == "pause"
    rig.feed(69, 70)  # cool after the cooldown: the announced pause ends with a resume
    assert rig.hands.kinds()[3:] == ["resume_gpu"]


def test_a_refused_power_limit_falls_back_to_duty_cycling(tmp_path: Path) -> None:
    hands = FakeHands(refuse_power=True)
    rig = Rig(tmp_path, hands, can_set=True)
    rig.feed(81, 3)
    error = next(e for e in rig.events if e.kind == "guard.error")
    assert "needs root" in error.message
    rig.feed(81, 3)
    assert "guard.duty_cycle" in rig.kinds() and "rest_gpu" in hands.kinds()


# --- power limits across restarts --------------------------------------------------------


def test_close_restores_and_the_next_start_reapplies_until_cool(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(81, 3)
    rig.loop.restore()
    assert rig.hands.calls[-1] == ("restore_power_limit", 0, 250.0)
    saved = json.loads((tmp_path / "power-limits.json").read_text())
    assert saved["gpus"]["GPU-aaaa"] == {"original_w": 250.0, "applied_w": 225.0}

    again = Rig(tmp_path)  # the card is back at 250 W: re-apply the remembered limit
    assert again.hands.calls == [("set_power_limit", 0, 225.0)]
    assert "Re-applied the 225 W" in again.events[0].message
    again.feed(60, 40)
    assert again.hands.calls == [("set_power_limit", 0, 225.0)]  # held during the cooldown
    again.feed(60, 40)
    assert again.hands.calls[-1] == ("restore_power_limit", 0, 250.0)
    assert json.loads((tmp_path / "power-limits.json").read_text())["gpus"] == {}


def test_after_a_crash_the_original_limit_is_the_ceiling(tmp_path: Path) -> None:
    (tmp_path / "power-limits.json").write_text(
        json.dumps({"version": 1, "gpus": {"GPU-aaaa": {"original_w": 280.0, "applied_w": 250.0}}})
    )
    rig = Rig(tmp_path)  # the card still has our 250 W: the user's own was 280 W
    assert rig.loop.power.original(0) == 280.0
    rig.feed(60, 80)
    assert rig.hands.calls[-1] == ("restore_power_limit", 0, 280.0)


def test_a_limit_the_user_changed_while_stopped_wins(tmp_path: Path) -> None:
    (tmp_path / "power-limits.json").write_text(
        json.dumps({"version": 1, "gpus": {"GPU-aaaa": {"original_w": 300.0, "applied_w": 200.0}}})
    )
    rig = Rig(tmp_path)  # the card reports 250 W: neither ours nor the old original
    assert rig.hands.calls == [] and rig.loop.power.original(0) == 250.0


def test_a_user_cap_for_work_applies_while_work_runs(tmp_path: Path) -> None:
    rig = Rig(tmp_path, settings={"thermal.user_power_limit_w": 200})
    rig.feed(60, 2)
    assert rig.hands.calls == [("set_power_limit", 0, 200.0)]
    rig.feed(81, 3)  # the throttle steps down from the cap, not from the card's 250 W
    assert rig.hands.calls[-1] == ("set_power_limit", 0, 180.0)


# --- activity, schedule, user ------------------------------------------------------------


def test_a_game_stops_work_and_frees_vram_then_resumes_after_quiet(tmp_path: Path) -> None:
    hands = FakeHands(owner="demo", pens={"demo": DEMO})
    rig = Rig(tmp_path, hands, settings={"gaming.quiet_period_s": 30}, names={"bash"})
    rig.feed(60, 1)
    rig.tick()
    assert hands.calls == []
    rig.names.add("cs2")
    rig.tick()
    assert hands.kinds() == ["stop_gpu", "pause_network"]
    assert rig.top() is HoldKind.GAME
    stop = next(e for e in rig.events if e.kind == "guard.stop")
    assert "cs2 is running" in stop.message and stop.data["source"] == "activity"
    rig.names.discard("cs2")
    rig.tick(10)  # 20 s of quiet: still waiting
    assert "resume_gpu" not in hands.kinds()
    rig.tick(6)
    assert hands.kinds()[-2:] == ["resume_gpu", "resume_network"]


def test_a_foreign_gpu_process_stops_work_but_our_own_does_not(tmp_path: Path) -> None:
    hands = FakeHands(processes=[GpuProcess(4242, 900.0, "blender")], ours={4242})
    rig = Rig(tmp_path, hands, settings={"gaming.quiet_period_s": 0})
    rig.tick()
    assert hands.calls == []
    hands.ours = set()
    rig.tick(5)  # the next process list is due 10 s after the last one
    assert hands.kinds() == ["stop_gpu"]
    assert "blender (pid 4242) is using the GPU" in rig.events[-1].message


def test_a_program_on_the_gpu_is_seen_at_the_next_reading_not_the_next_list(
    tmp_path: Path,
) -> None:
    hands = FakeHands(processes=[GpuProcess(11, 3000.0, "python")], ours={11})
    rig = Rig(tmp_path, hands, settings={"gaming.quiet_period_s": 0})
    rig.tick()  # the routine list: only our job
    rig.feed(60, 1)
    assert hands.lists == 1 and hands.calls == []
    hands.processes.append(GpuProcess(4242, 2048.0, "blender"))
    rig.feed(60, 1, vram=6048.0)  # 4 s after the list: VRAM rose by 2 GiB
    assert hands.kinds() == ["stop_gpu"] and hands.lists == 2
    assert "blender (pid 4242) is using the GPU" in rig.events[-1].message


def test_steady_readings_keep_the_lists_at_one_per_10_s(tmp_path: Path) -> None:
    hands = FakeHands(processes=[GpuProcess(11, 3000.0, "python")], ours={11})
    rig = Rig(tmp_path, hands)
    rig.tick(150)  # 300 s with our job at a steady 4 GB, 100 % busy
    assert hands.lists == 30 and hands.calls == []
    assert rig.loop.guards[0].looks.early == 0  # noqa: SLF001 - the loop's own count


def test_a_busy_gpu_with_none_of_our_work_is_looked_at_once(tmp_path: Path) -> None:
    hands = FakeHands(owner=None)
    rig = Rig(tmp_path, hands)
    rig.feed(60, 1, util=0.0)
    rig.tick(core=None)  # the routine list
    rig.feed(60, 1, util=0.0)
    rig.feed(60, 1, util=95.0)  # 4 s after the list: busy, and not with our work
    assert hands.lists == 2
    rig.feed(60, 30, util=95.0)  # still busy: the routine lists only, no more early looks
    assert hands.lists == 2 and rig.loop.guards[0].looks.early == 1  # noqa: SLF001
    rig.tick(5, core=None)  # (the routine comes with the ticks)
    assert hands.lists == 3


def test_no_early_look_while_pausing_for_games_is_off(tmp_path: Path) -> None:
    hands = FakeHands()
    rig = Rig(tmp_path, hands, settings={"gaming.enabled": False})
    rig.feed(60, 3, vram=8000.0, util=100.0)
    rig.tick(10)
    assert hands.lists == 0


def test_an_emergency_stops_an_already_paused_network_at_once(tmp_path: Path) -> None:
    hands = FakeHands(owner="nosana", pens={"nosana": NOPAUSE})
    rig = Rig(tmp_path, hands)
    rig.feed(86, 9)  # too hot: a network that cannot pause is stopped and paused gracefully
    assert {"stop_gpu", "pause_network"} <= set(hands.kinds())
    rig.feed(91, 3)  # then an emergency: its agent is stopped at once, not waited for
    assert hands.kinds()[-1] == "stop_network_now"
    rig.feed(91, 3)
    assert hands.kinds().count("stop_network_now") == 1
    rig.resume("all")
    rig.feed(60, 70)
    assert hands.kinds()[-2:] == ["resume_gpu", "resume_network"]


def test_schedule_waits_for_a_job_whose_pay_a_pause_would_void(tmp_path: Path) -> None:
    never = [{"days": [0], "start": "00:00", "end": "00:01"}]  # T0 is a Tuesday
    hands = FakeHands(owner="demo", pens={"demo": DEMO})
    rig = Rig(tmp_path, hands, settings={"schedule.enabled": True, "schedule.windows": never})
    rig.tick()
    assert hands.calls == [] and rig.record().holds[0].kind is HoldKind.SCHEDULE
    assert rig.top() is None  # the job runs on: pausing it would forfeit its pay
    hands.owner = None  # the job ended
    rig.tick()
    assert hands.kinds() == ["pause_gpu"] and rig.top() is HoldKind.SCHEDULE


def test_user_pause_and_resume(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.pause("gpu", gpu=0, words="rendering")
    assert rig.hands.kinds() == ["pause_gpu"] and rig.top() is HoldKind.USER
    assert rig.events[-1].message == "You paused GPU 0 (rendering)."
    rig.resume("gpu", gpu=0)
    assert rig.hands.kinds() == ["pause_gpu", "resume_gpu"]


def test_a_user_pause_of_another_network_leaves_this_job_running(tmp_path: Path) -> None:
    hands = FakeHands(owner="demo", pens={"demo": DEMO, "other": NetworkPenalties()})
    rig = Rig(tmp_path, hands)
    rig.pause("network", network="other")
    assert hands.calls == [("pause_network", "other")]  # its agent and offers pause
    assert rig.top() is None
    rig.pause("network", network="demo")
    assert hands.kinds()[-2:] == ["pause_gpu", "pause_network"]
    rig.resume("all")
    assert sorted(hands.calls[-3:]) == [
        ("resume_gpu", 0),
        ("resume_network", "demo"),
        ("resume_network", "other"),
    ]


# --- settings and status -----------------------------------------------------------------


def test_an_unsafe_pause_limit_is_refused_by_the_settings_store(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    store = SettingsStore(tmp_path / "settings.json")
    with pytest.raises(SettingsError) as err:
        store.patch({"thermal.pause_limit_c": 96}, rig.loop.extra_validators())
    assert err.value.field == "thermal.pause_limit_c"
    assert "above this card's slowdown point of 95 °C" in err.value.message
    assert store.patch({"thermal.pause_limit_c": 75}, rig.loop.extra_validators())


def test_new_limits_apply_without_a_restart(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(76, 6)
    assert rig.hands.calls == []
    rig.settings = rig.settings.replace({"thermal.pause_limit_c": 75})
    rig.tick()  # the loop notices the change by itself
    rig.feed(76, 6)
    assert "pause_gpu" in rig.hands.kinds()
    assert rig.loop.guards[0].thermal.policy.pause_c == 75.0


def test_status_reports_the_guard_for_the_api(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(81, 3)
    thermal = rig.loop.guards[0].thermal.state
    assert thermal.state.value == "throttled" and rig.record().cap_w == 225.0
    assert rig.record().holds == () and thermal.vram_temperature_reported is False
    rig.feed(81, 1, mem=70.0)
    assert rig.loop.guards[0].thermal.state.vram_temperature_reported is True
    assert rig.loop.record(7) is None


def test_the_loops_thread_acts_on_a_hot_reading(tmp_path: Path) -> None:
    hands = FakeHands()
    clock = [T0]
    user = UserHolds(None, lambda: clock[0])
    loop = ControlLoop([INFO], Settings().get, user, hands, hands, lambda e: None,
                       lambda: clock[0], True, agents=hands,
                       probes=Probes(probe_processes, lambda: None, lambda: None))  # fmt: skip
    loop.start()
    try:
        for i in range(9):
            clock[0] = T0 + 2 * i
            loop.on_sample(sample(clock[0], 88))
        assert loop.flush(5.0), "the loop's thread did not act"
        assert "pause_gpu" in hands.kinds()
    finally:
        loop.restore()


def test_a_damaged_power_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "power-limits.json").write_text("{not json")
    rig = Rig(tmp_path)
    assert rig.hands.calls == [] and rig.loop.power.original(0) == 250.0
    rig.feed(81, 3)  # and a good file is written again
    saved = json.loads((tmp_path / "power-limits.json").read_text())
    assert saved["gpus"]["GPU-aaaa"]["applied_w"] == 225.0


def test_a_user_pause_never_outvotes_an_emergency(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.feed(91, 3)  # an emergency: only a resume from the user lifts it
    assert rig.hands.kinds() == ["kill_gpu"]
    rig.pause("all", words="dinner")
    assert rig.top() is HoldKind.EMERGENCY  # the heat stop still outranks the pause
    rig.resume("all")  # "press Resume"
    assert rig.top() is HoldKind.THERMAL  # acknowledged: it waits until the card is cool
    rig.feed(60, 70)
    assert rig.hands.kinds()[-1] == "resume_gpu"
