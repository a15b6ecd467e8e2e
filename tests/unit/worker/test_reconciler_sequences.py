"""The reconciler as a table of event sequences → actuator calls and the final record.

Every sequence the issue names, then the invariant over generated sequences: no
sequence ever lets work run on a GPU that a remaining hold covers, and no new job is
admitted there (Hypothesis drives heat, games, the schedule, the user and new jobs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.model import HoldKind, NetworkPenalties
from tests.unit.worker.control_rig import DEMO, FakeHands, Rig

NEVER = [{"days": [0], "start": "00:00", "end": "00:01"}]  # T0 is a Tuesday: always off-hours
QUIET = {"gaming.quiet_period_s": 10}


def work_calls(hands: FakeHands) -> list[str]:
    return [k for k in hands.kinds() if k.endswith("_gpu")]


def test_user_pause_heat_user_resume_cool_down(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.pause("all")
    assert work_calls(rig.hands) == ["pause_gpu"] and rig.top() is HoldKind.USER
    rig.feed(86, 9)  # too hot while paused: a heat hold joins the user's
    assert {h.kind for h in rig.record().holds} == {HoldKind.USER, HoldKind.THERMAL}
    rig.resume("all")
    assert rig.top() is HoldKind.THERMAL  # the user's resume never lifts the heat hold
    assert work_calls(rig.hands) == ["pause_gpu"]  # ... so nothing was thawed
    rig.feed(69, 30)  # cool, but inside the cooldown
    assert work_calls(rig.hands) == ["pause_gpu"]
    rig.feed(69, 40)  # the heat clears
    assert work_calls(rig.hands) == ["pause_gpu", "resume_gpu"]
    assert rig.record().holds == () and rig.record().work == "run"


def test_a_game_starts_during_a_thermal_pause(tmp_path: Path) -> None:
    rig = Rig(tmp_path, settings=QUIET)
    rig.feed(86, 9)
    assert work_calls(rig.hands) == ["pause_gpu"]
    rig.names.add("cs2")
    rig.tick()  # a game needs the VRAM too: the frozen job is stopped
    assert work_calls(rig.hands) == ["pause_gpu", "stop_gpu"]
    assert {h.kind for h in rig.record().holds} == {HoldKind.THERMAL, HoldKind.GAME}
    rig.tick(70, core=60)  # the heat clears (a 120 s cooldown), the game still runs
    assert rig.top() is HoldKind.GAME and "resume_gpu" not in work_calls(rig.hands)
    rig.names.discard("cs2")
    rig.tick(10, core=60)  # the game ended, and the quiet period passed
    assert work_calls(rig.hands)[-1] == "resume_gpu" and rig.record().holds == ()


def test_the_schedule_window_ends_during_a_user_pause(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.pause("gpu", gpu=0)
    rig.settings = rig.settings.replace({"schedule.enabled": True, "schedule.windows": NEVER})
    rig.tick()  # the cheap-power window is over while the user's pause holds
    assert {h.kind for h in rig.record().holds} == {HoldKind.USER, HoldKind.SCHEDULE}
    rig.resume("gpu", gpu=0)
    assert rig.top() is HoldKind.SCHEDULE and work_calls(rig.hands) == ["pause_gpu"]
    rig.settings = rig.settings.replace({"schedule.enabled": False})
    rig.tick()  # a window opens again (the schedule is off): work comes back
    assert work_calls(rig.hands) == ["pause_gpu", "resume_gpu"]


def test_the_worker_restarts_with_a_network_paused(tmp_path: Path) -> None:
    hands = FakeHands(owner="demo", pens={"demo": DEMO})
    rig = Rig(tmp_path, hands)
    rig.pause("network", network="demo")
    assert hands.kinds() == ["pause_gpu", "pause_network"] and rig.top() is HoldKind.USER

    after = FakeHands(owner="demo", pens={"demo": DEMO})
    again = Rig(tmp_path, after)  # a new worker on the same data folder
    [hold] = again.user.all()
    assert hold.scope == "network" and hold.network == "demo"
    assert after.kinds() == ["pause_gpu", "pause_network"]  # held again from the start
    assert again.loop.admission(0) is None or again.top() is HoldKind.USER
    again.resume("network", network="demo")
    assert after.kinds()[-2:] == ["resume_gpu", "resume_network"]


def test_resuming_one_gpu_under_a_pause_of_all_work_keeps_it_held(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.pause("all")
    rig.pause("gpu", gpu=0)
    rig.resume("gpu", gpu=0)
    assert rig.top() is HoldKind.USER and rig.record().paused_by.scope == "all"  # type: ignore[union-attr]
    assert work_calls(rig.hands) == ["pause_gpu"]
    assert rig.loop.admission(0) is not None


# --- the invariant over generated sequences ---------------------------------------------


class Restarting(FakeHands):
    """A network that hands out a new job after ours stopped, once the GPU may take one."""

    def arrive(self, rig: Rig) -> None:
        if self.owner is None and rig.loop.admission(0) is None:
            self.owner, self.frozen = "local", False


STEPS = st.lists(
    st.sampled_from(
        [
            "hot",
            "very_hot",
            "cool",
            "game",
            "no_game",
            "pause_all",
            "pause_gpu",
            "resume_all",
            "resume_gpu",
            "schedule_off_hours",
            "schedule_off",
            "wait",
            "job_arrives",
        ]
    ),  # fmt: skip
    min_size=1,
    max_size=40,
)


def step(rig: Rig, hands: Restarting, what: str) -> None:
    actions: dict[str, Any] = {
        "hot": lambda: rig.feed(87, 6),
        "very_hot": lambda: rig.feed(91, 3),
        "cool": lambda: rig.feed(60, 40),
        "game": lambda: (rig.names.add("cs2"), rig.tick()),
        "no_game": lambda: (rig.names.discard("cs2"), rig.tick(8)),
        "pause_all": lambda: rig.pause("all"),
        "pause_gpu": lambda: rig.pause("gpu", gpu=0),
        "resume_all": lambda: rig.resume("all"),
        "resume_gpu": lambda: rig.resume("gpu", gpu=0),
        "schedule_off_hours": lambda: (
            setattr(
                rig,
                "settings",
                rig.settings.replace({"schedule.enabled": True, "schedule.windows": NEVER}),
            ),  # fmt: skip
            rig.tick(),
        ),
        "schedule_off": lambda: (
            setattr(rig, "settings", rig.settings.replace({"schedule.enabled": False})),
            rig.tick(),
        ),
        "wait": lambda: rig.tick(30),
        "job_arrives": lambda: hands.arrive(rig),
    }
    actions[what]()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_no_sequence_runs_work_under_a_remaining_hold(
    tmp_path_factory: Any, steps: list[str]
) -> None:
    hands = Restarting(owner="local", pens={"net": NetworkPenalties()})
    rig = Rig(tmp_path_factory.mktemp("seq"), hands, settings=QUIET)
    for what in steps:
        step(rig, hands, what)
        record = rig.record()
        covering = [h for h in record.holds if h.scope != "network"]
        assert not (covering and hands.work_runs), (steps, what, covering, hands.calls[-4:])
        if covering:
            assert rig.loop.admission(0) is not None, (steps, what)
