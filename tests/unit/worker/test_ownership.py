"""Who owns each GPU: the user's order, fallback, idle hand-over and hand-back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from desktop.model import NetworkPenalties
from desktop.settings import Settings
from desktop.worker.control_loop import ControlLoop, Probes
from desktop.worker.ownership import GpuClaim, assign, may_start, ranked
from desktop.worker.reconciler import Ranking
from desktop.worker.user_holds import UserHolds
from tests.unit.worker.control_rig import INFO, T0, FakeHands, sample

HANDOVER_S = 600.0


def test_the_users_order_comes_first_then_the_registrys() -> None:
    assert ranked({"b", "a", "c"}, ["c"], ["a", "b", "c"]) == ["c", "a", "b"]
    assert ranked({"a", "b"}, ["gone", "b"], ["a", "b"]) == ["b", "a"]


def test_the_best_ranked_owns_and_a_working_network_keeps_the_gpu() -> None:
    claim = GpuClaim()
    assert assign(claim, ["a", "b"], None, set(), HANDOVER_S, T0) == "a"
    assert assign(claim, ["a", "b"], "b", set(), HANDOVER_S, T0) == "b"  # b's job runs here
    assert assign(claim, ["a", "b"], None, set(), HANDOVER_S, T0 + 1) == "a"  # it ended


def test_a_failing_owner_drops_out_and_gets_the_gpu_back_when_it_recovers() -> None:
    claim = GpuClaim()
    assert assign(claim, ["a", "b"], None, set(), HANDOVER_S, T0) == "a"
    assert assign(claim, ["b"], None, set(), HANDOVER_S, T0 + 5) == "b"  # a failed
    assert assign(claim, ["a", "b"], "b", set(), HANDOVER_S, T0 + 9) == "b"  # b's job first
    assert assign(claim, ["a", "b"], None, set(), HANDOVER_S, T0 + 20) == "a"  # then back


def test_a_job_source_without_work_hands_the_gpu_over_and_takes_it_back() -> None:
    claim, sources = GpuClaim(), {"a", "b"}
    assert assign(claim, ["a", "b"], None, sources, HANDOVER_S, T0) == "a"
    assert assign(claim, ["a", "b"], None, sources, HANDOVER_S, T0 + HANDOVER_S - 1) == "a"
    assert assign(claim, ["a", "b"], None, sources, HANDOVER_S, T0 + HANDOVER_S) == "b"
    # a has a job to place again: it may start on b's idle GPU, and then owns it
    assert may_start("a", "b", None, ["a", "b"])
    assert not may_start("b", "a", None, ["a", "b"])  # the other way round it may not
    assert assign(claim, ["a", "b"], "a", sources, HANDOVER_S, T0 + HANDOVER_S + 1) == "a"


def test_an_agent_is_not_handed_over_for_idleness_and_all_idle_keeps_the_best() -> None:
    claim = GpuClaim()
    for t in (0, HANDOVER_S, 3 * HANDOVER_S):  # "a" runs its own agent: never yields
        assert assign(claim, ["a", "b"], None, {"b"}, HANDOVER_S, T0 + t) == "a"
    both = GpuClaim()
    for t in (0, HANDOVER_S, 2 * HANDOVER_S, 3 * HANDOVER_S):
        owner = assign(both, ["a", "b"], None, {"a", "b"}, HANDOVER_S, T0 + t)
    assert owner == "a"  # both idle too long: the best keeps it


def test_a_job_never_starts_where_another_networks_job_runs() -> None:
    assert not may_start("a", "b", "b", ["a", "b"])
    assert may_start("a", None, None, ["a"]) and may_start("a", "a", None, ["a", "b"])


class TwoGpus(FakeHands):
    """Jobs per GPU (a network's job on each), instead of one job on GPU 0."""

    def __init__(self, pens: Mapping[str, NetworkPenalties]) -> None:
        super().__init__(owner=None, pens=dict(pens))
        self.on: dict[int, str] = {}

    def job_running(self, gpu: int) -> Mapping[str, bool]:
        return {self.on[gpu]: True} if gpu in self.on else {}


def test_two_gpus_work_for_two_networks_and_a_failed_owner_hands_over(tmp_path: Path) -> None:
    """Practice-like networks "a" (ranked first) and "b": a's one job fills GPU 0, GPU 1
    goes to b once a has had no work there for the hand-over time; a fails, b takes GPU 0
    too; a recovers and gets GPU 0 back once b's job there ends."""
    clock = [T0]
    second = INFO.__class__(**{**INFO.__dict__, "index": 1, "uuid": "GPU-bbbb"})
    hands = TwoGpus({"a": NetworkPenalties(), "b": NetworkPenalties()})
    settings = Settings({"networks.order": ["a", "b"]})
    loop = ControlLoop([INFO, second], settings.get, UserHolds(None, lambda: clock[0]), hands,
                       hands, lambda e: None, lambda: clock[0], True, agents=hands,
                       probes=Probes(lambda: set(), lambda: None, lambda: None), inline=True,
                       ranking=Ranking(lambda: ["a", "b"], lambda: HANDOVER_S))  # fmt: skip
    loop.start()

    def step(seconds: float) -> None:
        clock[0] += seconds
        for gpu in (0, 1):
            loop.on_sample(sample(clock[0], 60.0, gpu=gpu))
        loop.tick(clock[0])

    hands.on[0] = "a"
    step(2)
    assert [loop.owner_of(0), loop.owner_of(1)] == ["a", "a"]
    assert loop.admission(1, "b") is not None  # a holds GPU 1, idle but not long enough
    step(HANDOVER_S)
    assert loop.owner_of(1) == "b" and loop.admission(1, "b") is None
    hands.on[1] = "b"
    step(2)
    assert [loop.owner_of(0), loop.owner_of(1)] == ["a", "b"]  # two networks at once
    assert loop.admission(0, "b") is not None and loop.admission(1, "a") is not None

    hands.pens = {"b": NetworkPenalties()}  # a fails: no longer able to own a GPU
    del hands.on[0]  # (its job was lost with it)
    step(2)  # within one round b takes GPU 0 too
    assert [loop.owner_of(0), loop.owner_of(1)] == ["b", "b"]
    hands.on[0] = "b"
    hands.pens = {"a": NetworkPenalties(), "b": NetworkPenalties()}  # a recovers
    step(2)
    assert loop.owner_of(0) == "b"  # b's job there runs to its end
    assert loop.admission(0, "a") is not None
    del hands.on[0]
    step(2)
    assert loop.owner_of(0) == "a" and loop.admission(0, "a") is None
