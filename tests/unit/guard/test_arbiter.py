"""Arbiter: safety first, then the least costly action per network, edge-triggered."""

from __future__ import annotations

from desktop.guard.arbiter import Action, Arbiter, user_decision
from desktop.model import GuardAction, GuardDecision, NetworkPenalties, Severity

A = GuardAction
PLAIN = NetworkPenalties()
IONET = NetworkPenalties(pause_voids_job_pay=True)  # a dropped job earns nothing
SALAD = NetworkPenalties(power_limit_penalised=True)  # power-limited PCs marked degraded
NOPAUSE = NetworkPenalties(can_pause=False)


def d(action: GuardAction, source: str = "thermal", watts: float | None = None,
      duty: float | None = None, reason: str = "") -> GuardDecision:  # fmt: skip
    return GuardDecision(0, action, reason or f"{source} says {action}", source, 0.0, watts, duty)


def throttle(watts: float | None = 288.0) -> GuardDecision:
    return d(A.THROTTLE, watts=watts, duty=50 / 60, reason="GPU at 82 °C.")


def kinds(actions: list[Action]) -> list[tuple[str | None, str]]:
    return [(a.network, a.kind) for a in actions]


def test_nothing_to_say_when_every_guard_says_run() -> None:
    arb = Arbiter()
    assert arb.decide(0, [d(A.RUN), d(A.RUN, "activity")], {"demo": PLAIN}, {}, 0) == []


def test_throttle_lowers_the_power_limit_once_and_restores_it() -> None:
    arb = Arbiter()
    first = arb.decide(0, [throttle()], {"demo": PLAIN}, {"demo": True}, 0)
    assert first == [
        Action("gpu", None, "set_power_limit", 288.0, "GPU at 82 °C.", None, "thermal")
    ]
    assert arb.decide(0, [throttle()], {"demo": PLAIN}, {"demo": True}, 2) == []
    assert [a.power_limit_w for a in arb.decide(0, [throttle(259)], {"demo": PLAIN}, {}, 4)] == [
        259
    ]
    back = arb.decide(0, [d(A.RUN, reason="GPU cooled.")], {"demo": PLAIN}, {}, 6)
    assert back == [
        Action("gpu", None, "restore_power_limit", None, "GPU cooled.", None, "thermal")
    ]
    assert arb.applied_power_limit(0) is None


def test_where_power_limits_are_penalised_short_pauses_are_used_instead() -> None:
    actions = Arbiter().decide(0, [throttle()], {"salad": SALAD}, {"salad": True}, 0)
    assert kinds(actions) == [("salad", "duty_cycle")]
    assert actions[0].duty_cycle == 50 / 60
    assert "marks power-limited GPUs as degraded" in actions[0].reason


def test_penalised_power_limit_is_still_cheaper_than_a_forfeited_job() -> None:
    both = NetworkPenalties(pause_voids_job_pay=True, power_limit_penalised=True)
    actions = Arbiter().decide(0, [throttle()], {"x": both}, {"x": True}, 0)
    assert kinds(actions) == [(None, "set_power_limit")]
    assert "short pauses would cost more here" in actions[0].reason


def test_throttle_rather_than_pause_when_pausing_voids_a_running_job() -> None:
    arb = Arbiter()
    assert kinds(arb.decide(0, [throttle()], {"ionet": IONET}, {"ionet": True}, 0)) == [
        (None, "set_power_limit")
    ]
    # Without the power-limit privilege: duty-cycling would void the job, so it runs on.
    arb2 = Arbiter()
    assert arb2.decide(0, [throttle(None)], {"ionet": IONET}, {"ionet": True}, 0) == []
    # Between jobs short pauses cost nothing.
    assert kinds(arb2.decide(0, [throttle(None)], {"ionet": IONET}, {"ionet": False}, 2)) == [
        ("ionet", "duty_cycle")
    ]


def test_thermal_pause_wins_even_when_it_costs_the_job() -> None:
    decisions = [d(A.PAUSE), d(A.RUN, "activity"), d(A.RUN, "schedule"), d(A.RUN, "user")]
    actions = Arbiter().decide(0, decisions, {"ionet": IONET}, {"ionet": True}, 0)
    assert kinds(actions) == [("ionet", "pause")]
    assert actions[0].source == "thermal"


def test_a_network_that_cannot_pause_is_stopped() -> None:
    actions = Arbiter().decide(0, [d(A.PAUSE)], {"golem": NOPAUSE}, {}, 0)
    assert kinds(actions) == [("golem", "stop")]
    assert actions[0].reason.endswith("This network cannot pause work, so it was stopped instead.")


def test_emergency_kills_everywhere_and_keeps_the_card_cool() -> None:
    arb = Arbiter()
    nets = {"a": PLAIN, "b": IONET}
    arb.decide(0, [throttle()], nets, {}, 0)
    actions = arb.decide(0, [d(A.EMERGENCY, reason="GPU at 91 °C.")], nets, {"b": True}, 2)
    assert kinds(actions) == [("a", "kill"), ("b", "kill")]
    assert arb.applied_power_limit(0) == 288  # not restored during the emergency
    assert arb.decide(0, [d(A.EMERGENCY)], nets, {}, 4) == []
    after = arb.decide(0, [d(A.PAUSE, reason="Acknowledged.")], nets, {}, 6)
    assert kinds(after) == [("a", "pause"), ("b", "pause"), (None, "restore_power_limit")]


def test_a_game_stops_work_and_gives_the_user_back_full_power() -> None:
    arb = Arbiter()
    arb.decide(0, [throttle()], {"demo": PLAIN}, {}, 0)
    game = d(A.STOP, "activity", reason="cs2 is running.")
    actions = arb.decide(0, [throttle(), game], {"demo": PLAIN}, {"demo": True}, 2)
    assert kinds(actions) == [("demo", "stop"), (None, "restore_power_limit")]
    assert actions[0].reason == "cs2 is running."
    # Game over: the limit goes back down before the work restarts.
    actions = arb.decide(0, [throttle(), d(A.RUN, "activity")], {"demo": PLAIN}, {}, 400)
    assert kinds(actions) == [(None, "set_power_limit"), ("demo", "run")]


def test_schedule_pause_lets_a_paid_job_finish_first() -> None:
    arb = Arbiter()
    off_peak = d(A.PAUSE, "schedule", reason="Outside your cheap-power hours.")
    nets = {"ionet": IONET, "demo": PLAIN}
    actions = arb.decide(0, [off_peak], nets, {"ionet": True, "demo": True}, 0)
    assert kinds(actions) == [("demo", "pause")]
    assert kinds(arb.decide(0, [off_peak], nets, {"ionet": False}, 60)) == [("ionet", "pause")]


def test_user_pause_for_one_network_or_all() -> None:
    arb = Arbiter()
    nets = {"a": PLAIN, "b": PLAIN}
    one = arb.decide(0, [user_decision(0, A.PAUSE, 0, network="b")], nets, {}, 0)
    assert kinds(one) == [("b", "pause")] and one[0].reason == "You paused work for b."
    both = arb.decide(0, [user_decision(0, A.PAUSE, 1)], nets, {}, 1)
    assert kinds(both) == [("a", "pause")]  # b was already paused
    assert kinds(arb.decide(0, [], nets, {}, 2)) == [("a", "run"), ("b", "run")]


def test_one_power_limit_for_the_gpu_serves_every_network() -> None:
    actions = Arbiter().decide(0, [throttle()], {"salad": SALAD, "demo": PLAIN}, {}, 0)
    assert kinds(actions) == [(None, "set_power_limit")]  # salad need not duty-cycle too


def test_thermal_speaks_first_among_equals() -> None:
    decisions = [d(A.PAUSE, "schedule"), d(A.PAUSE, "thermal", reason="GPU at 86 °C.")]
    actions = Arbiter().decide(0, decisions, {"demo": PLAIN}, {}, 0)
    assert actions[0].reason == "GPU at 86 °C." and actions[0].source == "thermal"


def test_gpus_and_departed_networks_are_tracked_separately() -> None:
    arb = Arbiter()
    assert kinds(arb.decide(1, [d(A.PAUSE)], {"demo": PLAIN}, {}, 0)) == [("demo", "pause")]
    assert kinds(arb.decide(0, [d(A.PAUSE)], {"demo": PLAIN}, {}, 0)) == [("demo", "pause")]
    arb.decide(0, [d(A.PAUSE)], {}, {}, 1)  # demo left GPU 0
    assert kinds(arb.decide(0, [d(A.PAUSE)], {"demo": PLAIN}, {}, 2)) == [("demo", "pause")]
    arb.forget(1)
    assert kinds(arb.decide(1, [d(A.PAUSE)], {"demo": PLAIN}, {}, 3)) == [("demo", "pause")]


def test_actions_become_events() -> None:
    kill = Action("network", "ionet", "kill", None, "GPU at 91 °C.", source="thermal")
    event = kill.to_event(gpu_index=0, ts=12.5)
    assert (event.kind, event.severity, event.message) == (
        "guard.kill", Severity.CRITICAL, "GPU at 91 °C.",
    )  # fmt: skip
    assert (event.gpu_index, event.network, event.data["source"]) == (0, "ionet", "thermal")
    pause = Action("network", "demo", "pause", None, "hot", source="thermal").to_event(0, 1)
    limit = Action("gpu", None, "set_power_limit", 288.0, "warm").to_event(0, 1)
    assert pause.severity is Severity.WARNING and limit.severity is Severity.INFO
    assert limit.data["power_limit_w"] == 288.0
