from __future__ import annotations

from desktop.model import CheckResult, CheckStatus, NodeState
from desktop.networks import registry
from desktop.networks.demo import DemoNetwork
from desktop.networks.records import ActionRequired, StatusSnapshot
from desktop.networks.summary import Standing, capabilities, network_summary, next_step

SNAP = StatusSnapshot(NodeState.IDLE, "waiting", 1.0)
FAIL = CheckResult("x", "X", CheckStatus.FAIL, "bad", fix="Install X.")


def test_next_step_in_order_of_what_blocks() -> None:
    assert next_step("demo", Standing(False), SNAP, []) == "Enroll it: rigpilot enroll demo"
    assert next_step("demo", Standing(False), SNAP, [FAIL]) == "Install X."
    action = ActionRequired("Run the first start once.", command="docker run ...")
    assert next_step("demo", Standing(True, action=action), SNAP, []) == (
        "Run the first start once."
    )
    paused = Standing(True, paused=True, pause_reason="a game is running")
    assert next_step("demo", paused, SNAP, []) == (
        "Paused: a game is running. It takes jobs again when resumed."
    )
    broken = StatusSnapshot(NodeState.UNKNOWN, "", 1.0, message="the node API timed out")
    assert next_step("demo", Standing(True), broken, []) == "the node API timed out"
    assert next_step("demo", Standing(True), SNAP, []) == ""


def test_summary_carries_what_the_api_documents() -> None:
    demo = DemoNetwork(tick_interval_s=None)
    (spec,) = [s for s in registry.load_specs({}) if s.id == "demo"]
    out = network_summary(
        spec,
        demo,
        SNAP,
        Standing(True, paused=True),
        [],
        None,
        99.5,
        {"earnings_today": {"gross": "1", "net": "0.5"}},
    )
    for key in (
        "network",
        "display_name",
        "description",
        "state",
        "native_state",
        "enrolled",
        "paused",
        "as_of",
        "message",
        "next_step",
        "capabilities",
        "credential_fields",
        "requirements",
        "earnings_today",
        "earnings_total",
        "reputation",
        "penalties",
        "action_required",
        "uptime_pct",
    ):
        assert key in out
    assert out["paused"] is True and out["state"] == "idle"
    assert out["description"].startswith("A practice marketplace inside RigPilot")
    assert out["earnings_today"]["net"] == "0.5" and out["earnings_total"]["gross"] == "0"
    assert out["credential_fields"][0]["secret"] is True
    assert out["penalties"]["pause_voids_job_pay"] is True
    assert out["capabilities"] == capabilities(spec, demo)
    assert out["capabilities"]["can_pause"] and out["capabilities"]["runs_jobs_here"]
