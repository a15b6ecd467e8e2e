from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop.model import NodeState
from desktop.networks import nosana_parse as parse

DATA = Path(__file__).resolve().parents[2] / "data" / "nosana"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


@pytest.mark.parametrize(
    ("native", "common"),
    [
        ("QUEUED", NodeState.IDLE),
        ("RUNNING_JOB", NodeState.BUSY),
        ("BENCHMARKING", NodeState.BENCHMARKING),
        ("HEALTHCHECK", NodeState.BENCHMARKING),
        ("STARTING", NodeState.STARTING),
        ("RESTARTING", NodeState.STARTING),
        ("JOINING_MARKET", NodeState.STARTING),
    ],
)
def test_documented_states_map_onto_common_states(native: str, common: NodeState) -> None:
    info = {**load("node_info_queued.json"), "state": native}
    snap = parse.node_status(info, 5.0)
    assert (snap.state, snap.native_state, snap.message) == (common, native, "")
    assert snap.node_id == "9pB3oVL5mBrLdGQXnWYs6Ln8KzPVpC5F1kR2qEuKJ3Qd"
    assert snap.extra["gpus"] == ["NVIDIA GeForce RTX 4090"]


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        ({"state": "DANCING"}, "does not know: 'DANCING'"),
        ({"state": "OTHER"}, "OTHER"),
        ({"node": "x"}, "no state field"),
        ({"state": 3}, "no state field"),
        ([1, 2], "other than an object"),
        ({"state": "\x1b[31mRED" + "X" * 100}, "does not know"),
    ],
)
def test_anything_else_is_unknown_with_the_reason(info: Any, reason: str) -> None:
    snap = parse.node_status(info, 1.0)
    assert snap.state is NodeState.UNKNOWN
    assert reason in snap.message
    assert "\x1b" not in snap.message and len(snap.native_state) <= 40


def test_jobs_from_the_recorded_answer() -> None:
    jobs, bad = parse.parse_jobs(load("jobs.json"))
    assert bad == 0
    assert [j.job_id for j in jobs] == ["81234", "81240", "81251"]
    first, capped, running = jobs
    # 5400 s at 0.192 USD/h
    assert first.earned is not None and first.earned.usd == Decimal("0.288000")
    assert first.state == "COMPLETED" and first.started_ts == 1767225600
    # ran 10000 s but its timeout is 3600 s: paid for 1 h at 0.2
    assert capped.earned is not None and capped.earned.amount == Decimal("0.200000")
    assert running.state == "RUNNING" and running.earned is None and running.ended_ts is None


def test_malformed_jobs_are_skipped_and_counted() -> None:
    doc = {"jobs": [{"id": 1, "state": "COMPLETED"}, "junk", {"state": 2}, {"id": True}]}
    jobs, bad = parse.parse_jobs(doc)
    assert [j.job_id for j in jobs] == ["1"] and bad == 3
    assert parse.parse_jobs({"totalJobs": 0}) == ([], 1)
    assert parse.parse_jobs(None) == ([], 1)


def test_job_with_garbage_numbers_earns_nothing() -> None:
    job = parse.parse_job(
        {"id": "a", "state": 2, "timeStart": "soon", "timeEnd": 5, "usdRewardPerHour": float("nan")}
    )
    assert job is not None and job.earned is None and job.started_ts is None


def test_earning_history_by_day_and_window() -> None:
    doc = load("earning_history.json")
    everything = parse.parse_earning_history(doc, None, None)
    assert everything.earned[0].usd == Decimal("6.12")
    assert everything.all_time is not None and everything.all_time.amount == Decimal("41.37")
    # 2026-01-02 00:00 UTC .. 2026-01-02 12:00 UTC: only that day
    window = parse.parse_earning_history(doc, 1767312000.0, 1767355200.0)
    assert list(window.by_day) == ["2026-01-02"]
    assert window.earned[0].amount == Decimal("2.5")


def test_earning_history_tolerates_a_broken_answer() -> None:
    summary = parse.parse_earning_history(
        {"results": [{"period": 5}, {"period": "2026-01-01"}]}, None, None
    )
    assert summary.earned[0].amount == 0 and summary.by_day == {}
    assert parse.parse_earning_history("nope", None, None).earned[0].amount == 0


def test_node_report_and_claimable() -> None:
    rep = parse.parse_node_report(load("node_report.json"))
    assert rep is not None and rep.uptime_pct == 97.5 and rep.score == 0.93
    assert parse.parse_node_report({"node": "x"}) is None
    claim = parse.parse_claimable(load("specs.json"))
    assert claim[0].amount == Decimal("12.5") and claim[0].unit == "NOS"
    assert parse.parse_claimable({}) == []
