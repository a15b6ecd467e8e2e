"""The practice marketplace: offers, pay only for finished jobs, reputation, market speed."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from desktop.jobs.spec import HostLimits, parse_spec
from desktop.model import ExitReason, JobState, Money, NodeState
from desktop.networks.base import (
    Controllable,
    EarningsReporter,
    Enrollable,
    JobSource,
    MonitorOnly,
    NetworkAdapter,
    NetworkError,
    Pausable,
    ReputationReporter,
)
from desktop.networks.demo import DemoNetwork
from desktop.networks.demo_offers import OfferTerms, load_profile
from desktop.networks.demo_terms import USD_PER_DEMO, pay_idem_key

IMAGE = "rigpilot-test/busybox:latest"


class Market:
    """Records what the demo network asks of the worker."""

    def __init__(self) -> None:
        self.specs: list[dict[str, Any]] = []
        self.credits: list[tuple[str, str, Money, str]] = []
        self.stopped: list[str] = []

    def submit(self, spec: dict[str, Any]) -> str:
        self.specs.append(spec)
        return str(spec["job_id"])

    def credit(self, network: str, job_id: str, money: Money, key: str) -> bool:
        self.credits.append((network, job_id, money, key))
        return True


def make(clock: Any, market: Market, speed: float = 1.0, seed: int = 3) -> DemoNetwork:
    demo = DemoNetwork(
        submit_job=market.submit,
        credit=market.credit,
        stop_job=market.stopped.append,
        clock_now=clock,
        speed=speed,
        seed=seed,
        image=IMAGE,
        terms=OfferTerms(mean_gap_s=30.0),
        tick_interval_s=None,
    )
    demo.enroll({})
    demo.start()
    return demo


def run_until_offer(
    demo: DemoNetwork, clock: Any, market: Market, limit_s: float = 3600
) -> dict[str, Any]:
    count = len(market.specs)
    waited = 0.0
    while len(market.specs) == count:
        clock.advance(1.0)
        waited += 1.0
        demo.tick()
        assert waited < limit_s, "no offer arrived"
    return market.specs[-1]


def test_it_is_a_network_adapter_with_the_forfeit_rule(clock: Any) -> None:
    demo = DemoNetwork(clock_now=clock, tick_interval_s=None)
    assert isinstance(demo, NetworkAdapter)
    for capability in (
        Enrollable,
        Controllable,
        Pausable,
        JobSource,
        EarningsReporter,
        ReputationReporter,
    ):
        assert isinstance(demo, capability), capability
    assert not isinstance(demo, MonitorOnly)
    assert demo.penalties().pause_voids_job_pay is True
    assert demo.status().state is NodeState.NOT_ENROLLED
    with pytest.raises(NetworkError):
        demo.start()
    assert demo.credential_schema()[0].secret is True


def test_offers_are_valid_job_specs_for_the_runner(clock: Any) -> None:
    market = Market()
    demo = make(clock, market)
    for _ in range(5):
        spec = run_until_offer(demo, clock, market)
        parsed = parse_spec(
            spec, allowed_local_images=[IMAGE], limits=HostLimits(cpus=2.0, memory_mb=4096)
        )
        assert parsed.network == "demo" and parsed.image == IMAGE
        assert parsed.command[0] == "sleep" and int(parsed.command[1]) >= 1
        assert parsed.pay is not None and parsed.pay.unit == "DEMO"
        assert parsed.deadline_s > int(parsed.command[1])
        assert sum(s for s, _ in parsed.load_profile) == pytest.approx(int(parsed.command[1]))
        demo.job_finished(spec["job_id"], JobState.SUCCEEDED, ExitReason.EXITED)


def test_same_seed_same_offers(clock: Any) -> None:
    a, b = Market(), Market()
    demo_a, demo_b = make(clock, a, seed=11), make(clock, b, seed=11)
    for _ in range(3600):
        if a.specs and b.specs:
            break
        clock.advance(1)
        demo_a.tick()
        demo_b.tick()
    assert a.specs and b.specs
    assert a.specs[0]["pay"] == b.specs[0]["pay"] and a.specs[0]["command"] == b.specs[0]["command"]


def test_one_job_at_a_time_and_busy_while_it_runs(clock: Any) -> None:
    market = Market()
    demo = make(clock, market)
    spec = run_until_offer(demo, clock, market)
    assert demo.status().state is NodeState.BUSY
    for _ in range(600):
        clock.advance(1)
        demo.tick()
    assert len(market.specs) == 1
    demo.job_finished(spec["job_id"], JobState.SUCCEEDED, ExitReason.EXITED)
    assert demo.status().state is NodeState.IDLE


def test_a_succeeded_job_is_credited_once_with_usd(clock: Any) -> None:
    market = Market()
    demo = make(clock, market)
    spec = run_until_offer(demo, clock, market)
    score = demo.market.score.score
    demo.job_finished(spec["job_id"], JobState.SUCCEEDED, ExitReason.EXITED)
    demo.job_finished(spec["job_id"], JobState.SUCCEEDED, ExitReason.EXITED)  # duplicate report
    assert len(market.credits) == 1
    network, job_id, money, key = market.credits[0]
    amount = Decimal(spec["pay"]["amount"])
    assert (network, job_id, key) == ("demo", spec["job_id"], pay_idem_key(spec["job_id"]))
    assert money == Money(amount, "DEMO", amount * USD_PER_DEMO)
    assert demo.market.score.score > score and demo.market.score.completed == 1
    assert demo.earnings().earned[0].amount == amount


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (JobState.STOPPED, ExitReason.GUARD),
        (JobState.INTERRUPTED, ExitReason.INTERRUPTED),
        (JobState.STOPPED, ExitReason.USER),
    ],
)
def test_an_interrupted_job_forfeits_pay_and_reputation_drops(
    clock: Any, state: JobState, reason: ExitReason
) -> None:
    market = Market()
    demo = make(clock, market)
    spec = run_until_offer(demo, clock, market)
    score = demo.market.score.score
    demo.job_finished(spec["job_id"], state, reason)
    assert market.credits == [] and demo.market.score.interruptions == 1
    assert demo.market.score.score == pytest.approx(score - 10.0)
    assert demo.reputation().details["interruptions"] == 1


def test_a_failed_job_earns_nothing_and_costs_a_little(clock: Any) -> None:
    market = Market()
    demo = make(clock, market)
    spec = run_until_offer(demo, clock, market)
    score = demo.market.score.score
    demo.job_finished(spec["job_id"], JobState.FAILED, ExitReason.OOM)
    assert market.credits == [] and demo.market.score.score == pytest.approx(score - 3.0)


def test_pause_stops_the_running_job_and_forfeits_its_pay(clock: Any) -> None:
    market = Market()
    demo = make(clock, market)
    spec = run_until_offer(demo, clock, market)
    demo.pause()
    assert market.stopped == [spec["job_id"]] and demo.market.score.interruptions == 1
    assert demo.status().state is NodeState.PAUSED
    demo.job_finished(spec["job_id"], JobState.SUCCEEDED, ExitReason.EXITED)  # too late
    assert market.credits == []
    for _ in range(300):
        clock.advance(1)
        demo.tick()
    assert len(market.specs) == 1  # no offers while paused
    demo.resume()
    run_until_offer(demo, clock, market)


def test_reputation_recovers_slowly_with_uptime(clock: Any) -> None:
    market = Market()
    demo = make(clock, market)
    demo.market.submit_job = None  # no jobs: only uptime counts
    demo.market.score.score = 40.0
    for _ in range(24):
        clock.advance(3600)
        demo.tick()
    rep = demo.reputation()
    assert 50.0 < demo.market.score.score < 60.0  # 1 % of the gap per hour: ~21 % in a day
    assert rep.uptime_pct == pytest.approx(100.0)
    demo.stop(graceful=False)
    clock.advance(24 * 3600)
    demo.tick()
    assert demo.reputation().uptime_pct == pytest.approx(50.0)


def test_speed_shortens_the_real_sleep_not_the_pay(clock: Any) -> None:
    slow, fast = Market(), Market()
    s1 = run_until_offer(make(clock, slow, speed=1.0, seed=5), clock, slow)
    s10 = run_until_offer(make(clock, fast, speed=10.0, seed=5), clock, fast)
    assert s1["pay"] == s10["pay"]
    assert int(s10["command"][1]) == max(1, round(int(s1["command"][1]) / 10))


def test_graceful_stop_waits_for_the_job(clock: Any) -> None:
    market = Market()
    demo = make(clock, market)
    spec = run_until_offer(demo, clock, market)
    finisher = threading.Timer(
        0.05, demo.job_finished, (spec["job_id"], JobState.SUCCEEDED, ExitReason.EXITED)
    )
    finisher.start()
    demo.stop(graceful=True, timeout_s=5)
    finisher.join()
    assert len(market.credits) == 1 and market.stopped == []
    assert demo.status().state is NodeState.OFFLINE


def test_a_refused_offer_is_skipped(clock: Any, caplog: pytest.LogCaptureFixture) -> None:
    def refuse(spec: dict[str, Any]) -> str:
        raise ValueError("image missing")

    demo = DemoNetwork(submit_job=refuse, clock_now=clock, seed=1, tick_interval_s=None)
    demo.enroll({})
    demo.start()
    for _ in range(200):
        clock.advance(1)
        demo.tick()
    assert demo.status().state is NodeState.IDLE
    assert caplog.text.count("the job runner refused offer") == 1  # once per refusal streak


@pytest.mark.parametrize("kind", ["constant", "ramp", "bursty"])
def test_load_profiles_cover_the_duration(kind: str) -> None:
    steps = load_profile(kind, 60, 0.8)
    assert sum(s["seconds"] for s in steps) == pytest.approx(60)
    assert max(s["load"] for s in steps) == pytest.approx(0.8)


def test_a_job_that_ends_inside_submit_is_not_lost(clock: Any) -> None:
    market = Market()
    demo = DemoNetwork(clock_now=clock, seed=2, tick_interval_s=None, credit=market.credit)

    def submit_and_fail(spec: dict[str, Any]) -> str:
        demo.job_finished(spec["job_id"], JobState.FAILED, ExitReason.ERROR)  # runner refused
        return str(spec["job_id"])

    demo.market.submit_job = submit_and_fail
    demo.enroll({})
    demo.start()
    for _ in range(600):
        clock.advance(1)
        demo.tick()
    assert demo.status().state is NodeState.IDLE
    assert len(demo.jobs()) >= 2 and all(j.state == "failed" for j in demo.jobs())
