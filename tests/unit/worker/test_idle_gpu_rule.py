"""The idle-GPU rule (io.net): a game or another program on the GPU stops the network's
agent at once, its own processes are not "another program", and the busy hint looks at
its percentage. The control loop runs inline on a scripted clock (control_rig.py)."""

from __future__ import annotations

from pathlib import Path

from desktop.guard.gpu_use import PROCESS_LIST_EVERY_S
from desktop.hardware.gpu import GpuProcess
from desktop.model import NetworkPenalties
from tests.unit.worker.control_rig import FakeHands, Rig

IONET = NetworkPenalties(pause_voids_job_pay=True, can_pause=False, max_idle_gpu_util_pct=20.0)
STRICT = NetworkPenalties(pause_voids_job_pay=True, can_pause=False, max_idle_gpu_util_pct=5.0)
NOSANA = NetworkPenalties(can_pause=False)
QUIET = {"gaming.quiet_period_s": 10}


def agents_rig(tmp: Path, pens: dict[str, NetworkPenalties], **hands: object) -> Rig:
    """A GPU worked by networks that run their own agents (no job of ours)."""
    return Rig(
        tmp,
        FakeHands(owner=None, pens=pens, own_agents=set(pens), **hands),  # type: ignore[arg-type]
        settings=QUIET,
    )


def test_a_game_stops_the_idle_rule_network_at_once_and_pauses_the_others(tmp_path: Path) -> None:
    rig = agents_rig(tmp_path, {"ionet": IONET, "nosana": NOSANA})
    rig.tick(2, core=60.0)
    rig.names.add("cs2")
    rig.tick(core=60.0)
    assert ("stop_network_now", "ionet") in rig.hands.calls  # not a graceful pause
    assert ("pause_network", "nosana") in rig.hands.calls  # its pause: a graceful stop
    assert ("pause_network", "ionet") not in rig.hands.calls
    (reason,) = rig.hands.stop_reasons
    assert "cs2 is running" in reason and "stopped at once" in reason


def test_after_the_quiet_period_the_network_is_started_again(tmp_path: Path) -> None:
    rig = agents_rig(tmp_path, {"ionet": IONET})
    rig.names.add("cs2")
    rig.tick(core=60.0)
    rig.names.clear()
    rig.tick(4, dt=2.0)  # 8 s: still within the 10 s quiet period
    assert ("resume_network", "ionet") not in rig.hands.calls
    rig.tick(2, dt=2.0)
    assert rig.hands.kinds().count("stop_network_now") == 1
    assert ("resume_network", "ionet") in rig.hands.calls


def test_another_program_on_the_gpu_stops_it_but_its_own_processes_do_not(
    tmp_path: Path,
) -> None:
    own = GpuProcess(4242, 6000.0, "python3")  # io.net's proof of work, in its container
    rig = agents_rig(tmp_path, {"ionet": IONET}, agent_owned={4242}, processes=[own])
    rig.tick(int(PROCESS_LIST_EVERY_S // 2) + 2)  # several routine lists: only its own
    assert rig.hands.lists >= 2
    assert "stop_network_now" not in rig.hands.kinds()
    rig.hands.processes.append(GpuProcess(777, 900.0, "blender"))
    rig.tick(int(PROCESS_LIST_EVERY_S // 2) + 1)
    assert ("stop_network_now", "ionet") in rig.hands.calls
    assert "blender (pid 777)" in rig.hands.stop_reasons[0]


def test_use_above_the_rule_but_below_the_usual_busy_level_is_looked_at_early(
    tmp_path: Path,
) -> None:
    """A program at 12 % with little memory: for a 4090 (5 %) the next reading asks for
    the process list; without the rule only the routine list (10 s) would."""
    for pens, early in (({"ionet": STRICT}, True), ({"nosana": NOSANA}, False)):
        rig = agents_rig(tmp_path / str(early), pens)
        for _ in range(6):  # calm readings, a routine list at start
            rig.feed(60.0, util=1.0, vram=500.0)
            rig.loop.tick(rig.t)
        lists = rig.hands.lists
        rig.hands.processes.append(GpuProcess(778, 120.0, "encoder"))
        rig.feed(60.0, util=12.0, vram=620.0, dt=4.0)  # below the 256 MiB VRAM hint
        seen = rig.hands.lists > lists
        assert seen is early, pens
        if early:
            assert ("stop_network_now", "ionet") in rig.hands.calls
