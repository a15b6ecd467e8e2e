from __future__ import annotations

from desktop.model import CheckResult, CheckStatus, NodeState
from desktop.networks.base import ActionRequired, StatusSnapshot
from desktop.networks.demo import DemoNetwork
from desktop.networks.summary import network_summary, next_step

SNAP = StatusSnapshot(NodeState.IDLE, "waiting", 1.0)
FAIL = CheckResult("x", "X", CheckStatus.FAIL, "bad", fix="Install X.")


def test_next_step_in_order_of_what_blocks() -> None:
    assert next_step("demo", {}, SNAP, None, []) == "Enroll it: rigpilot enroll demo"
    assert next_step("demo", {}, SNAP, None, [FAIL]) == "Install X."
    action = ActionRequired("Run the first start once.", command="docker run ...")
    assert next_step("demo", {"enrolled": True}, SNAP, action, []) == "Run the first start once."
    assert "resume" in next_step("demo", {"enrolled": True, "running": False}, SNAP, None, [])
    broken = StatusSnapshot(NodeState.UNKNOWN, "", 1.0, message="the node API timed out")
    assert next_step("demo", {"enrolled": True, "running": True}, broken, None, []) == (
        "the node API timed out"
    )
    assert next_step("demo", {"enrolled": True, "running": True}, SNAP, None, []) == ""


def test_summary_carries_what_the_api_documents() -> None:
    demo = DemoNetwork(tick_interval_s=None)
    out = network_summary(
        demo,
        SNAP,
        {"enrolled": True, "running": False},
        None,
        [],
        None,
        99.5,
        {"earnings_today": {"gross_usd": "1", "net_usd": "0.5"}},
    )
    for key in (
        "network",
        "display_name",
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
    ):
        assert key in out
    assert out["paused"] is True and out["state"] == "idle"
    assert out["earnings_today"]["net_usd"] == "0.5" and out["earnings_total"]["gross_usd"] == "0"
    assert out["credential_fields"][0]["secret"] is True
    assert out["penalties"]["pause_voids_job_pay"] is True
