"""The practice network end to end in a real worker process (issue 7).

``rigpilot worker --demo`` enrolls and starts the practice network by itself; its jobs run
through the worker's job service (Docker with the busybox image, or the simulated runner
when DOCKER_HOST points nowhere), pay lands in the ledger, stopping one of its jobs costs
reputation and that job's pay, and ``rigpilot earnings --json`` shows a net that matches
a hand computation from the ledger's own energy rows and the price in the settings.
Simulated time runs 120 times faster, so a few minutes of marketplace take seconds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ipc.schema import PauseRequest, PauseScope
from desktop.ipc.schema_data import EventsQuery, JobsQuery
from desktop.ipc.schema_networks import NetworkRecord, Reputation
from desktop.model import JobState
from desktop.settings import SettingsStore
from tests.integration.conftest import StartWorker, WorkerProcess, home_paths

PRICE = Decimal("0.4")
OVERHEAD_W = Decimal("50")
Q = Decimal("0.000001")


def ledger_rows(worker: WorkerProcess, sql: str) -> list[tuple[Any, ...]]:
    """Read the worker's ledger directly (WAL: readers never block its writer)."""
    with closing(sqlite3.connect(home_paths(worker.home).ledger_file)) as conn:
        return list(conn.execute(sql).fetchall())


def demo_record(worker: WorkerProcess) -> NetworkRecord:
    networks = worker.client.call(endpoints.NETWORKS).networks
    (demo,) = [n for n in networks if n.network == "demo"]
    return demo


def demo_reputation(worker: WorkerProcess) -> Reputation:
    demo = demo_record(worker)
    assert demo.enrolled and demo.reputation is not None, demo
    return demo.reputation


def stop_a_running_job(worker: WorkerProcess, poll: Callable[..., Any]) -> str:
    """Stop a demo job while it runs (one may end by itself first: then try the next)."""

    def attempt() -> str | None:
        running = JobsQuery(state=JobState.RUNNING)
        for job in worker.client.call(endpoints.JOBS, running).jobs:
            if job.network != "demo":
                continue
            run = worker.cli("job", "stop", job.job_id, "--json")
            record = json.loads(run.stdout)["job"]
            if record["state"] == "stopped":
                assert record["exit_reason"] == "user"
                return str(record["job_id"])
        return None

    return str(poll(attempt, timeout=40, interval=0.2))


def hand_net(worker: WorkerProcess) -> tuple[Decimal, Decimal, Decimal]:
    """Gross, electricity and net of the demo network from the ledger rows themselves."""
    usd = ledger_rows(worker, "SELECT usd FROM earnings WHERE network = 'demo'")
    gross = sum((Decimal(u) for (u,) in usd), Decimal(0)).quantize(Q)
    periods = ledger_rows(
        worker, "SELECT energy_j, end_ts - start_ts FROM energy_periods WHERE network = 'demo'"
    )
    kwh = Decimal(repr(sum(j for j, _ in periods) / 3.6e6)).quantize(Q)
    hours = Decimal(repr(sum(s for _, s in periods))) / Decimal(3600)
    cost = ((kwh + OVERHEAD_W * hours / Decimal(1000)) * PRICE).quantize(Q)
    return gross, cost, gross - cost


@pytest.mark.parametrize("runner", [pytest.param("docker", marks=pytest.mark.docker), "simulated"])
def test_the_practice_network_runs_end_to_end(
    runner: str,
    request: pytest.FixtureRequest,
    start_worker: StartWorker,
    tmp_path: Path,
    poll: Callable[..., Any],
) -> None:
    if runner == "docker":
        host = str(request.getfixturevalue("docker_host"))
        image = str(request.getfixturevalue("test_image"))
    else:
        host, image = f"unix://{tmp_path}/no-engine.sock", "rigpilot-test/busybox:latest"
    home = tmp_path / "home"
    SettingsStore(home_paths(home).ensure().settings_file).patch(
        {
            "electricity.price_per_kwh": float(PRICE),
            "electricity.system_overhead_w": int(OVERHEAD_W),
            "sampling.interval_s": 1,
        }
    )
    env = {"DOCKER_HOST": host, "RIGPILOT_DEMO_IMAGE": image}
    worker = start_worker("--demo", "--sim-speed", "120", home=home, env=env)
    events = worker.client.call(endpoints.EVENTS, EventsQuery(since=0)).events
    kinds = [e for e in events if e.kind == "jobs.runner"]
    assert kinds and kinds[0].data["kind"] == runner, worker.output()

    # Jobs arrive, run and are paid, in the ledger.
    paid = "SELECT e.job_id FROM earnings e JOIN jobs j ON j.job_id = e.job_id"
    paid += " WHERE e.idem_key = 'demo:' || e.job_id || ':pay' AND j.state = 'succeeded'"
    poll(lambda: len(ledger_rows(worker, paid)) >= 2, timeout=90, interval=0.3)
    (job_id,) = ledger_rows(worker, paid)[0]
    shown = json.loads(worker.cli("job", "show", job_id, "--json").stdout)["job"]
    assert shown["network"] == "demo" and shown["pay"]["unit"] == "DEMO"
    listed = {j.job_id: j for j in worker.client.call(endpoints.JOBS).jobs}
    pay = listed[job_id].pay
    assert pay is not None and pay.unit == "DEMO", "the job list shows the pay credited"
    # today's totals in status follow the ledger at their own pace: wait for the practice line
    status = poll(
        lambda: (
            (s := worker.client.status()).earnings_today is not None
            and s.earnings_today.practice is not None
            and s
        ),
        timeout=30,
    )
    assert [n.state for n in status.networks if n.network == "demo"] != ["not_enrolled"]
    assert status.earnings_today.practice.gross > 0 and status.earnings_today.gross == 0

    # An interruption costs reputation and the job's pay.
    before = demo_reputation(worker)
    stopped = stop_a_running_job(worker, poll)
    after = poll(
        lambda: (
            (r := demo_reputation(worker)).details["interruptions"]
            > before.details["interruptions"]
            and r
        ),
        timeout=15,
    )
    assert after.score is not None and before.score is not None and after.score < before.score
    assert ledger_rows(worker, f"SELECT * FROM earnings WHERE job_id = '{stopped}'") == []

    # Pause the network so its running period closes and the books stand still.
    held = PauseRequest(scope=PauseScope.NETWORK, network="demo", reason="count the money")
    worker.client.call(endpoints.PAUSE, held)
    poll(
        lambda: ledger_rows(worker, "SELECT count(*), sum(open) FROM energy_periods")[0][1] == 0,
        timeout=20,
        interval=0.3,
    )
    # One clock: status history and energy periods are both in simulated seconds (120x),
    # so uptime counts the time the network was up, not wall seconds against sim "now".
    ((seen_until,),) = ledger_rows(
        worker, "SELECT max(until_ts) FROM network_status WHERE network = 'demo'"
    )
    ((energy_until,),) = ledger_rows(worker, "SELECT max(end_ts) FROM energy_periods")
    assert abs(seen_until - energy_until) < 600, (seen_until, energy_until)
    uptime = demo_record(worker).uptime_pct
    assert uptime is not None and 50 < uptime <= 100, uptime  # up until the pause

    run = worker.cli("earnings", "--json")
    assert run.returncode == 0, run.stderr
    totals = json.loads(run.stdout)["totals"]
    gross, cost, net = hand_net(worker)
    days = len(json.loads(run.stdout)["days"])  # midnight may split the periods: 1e-6 each
    assert gross > 0 and cost > 0, (gross, cost)
    practice = totals["practice"]  # play money: in no real total
    assert practice["currency"] == "practice $" and Decimal(totals["gross"]) == 0
    assert Decimal(practice["gross"]) == gross
    assert abs(Decimal(practice["electricity"]) - cost) <= Q * days
    assert abs(Decimal(practice["net"]) - net) <= Q * days
    assert totals["networks"]["demo"]["net"] == practice["net"]
    assert worker.stop() == 0


def test_every_time_the_demo_shows_is_on_the_workers_one_clock(
    start_worker: StartWorker, tmp_path: Path, poll: Callable[..., Any]
) -> None:
    """One clock (issue 13): with the practice market 120 times faster, the events, jobs,
    earnings and samples of ``--demo`` all carry the worker's own clock (a second, simulated
    clock would put some of them hours ahead), and ``rigpilot events`` lists them in order."""
    home = tmp_path / "home"
    SettingsStore(home_paths(home).ensure().settings_file).patch({"sampling.interval_s": 1})
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}  # the simulated job runner
    worker = start_worker("--demo", "--sim-speed", "120", home=home, env=env)
    paid = "SELECT count(*) FROM earnings WHERE network = 'demo'"
    poll(lambda: ledger_rows(worker, paid)[0][0] >= 2, timeout=90, interval=0.3)

    listed = worker.cli("events", "--json")
    assert listed.returncode == 0, listed.stderr
    stamps = [json.loads(line)["ts"] for line in listed.stdout.splitlines()]
    assert len(stamps) > 5 and stamps == sorted(stamps), stamps
    status = worker.client.status()
    jobs = worker.client.call(endpoints.JOBS).jobs
    job_times = [t for j in jobs for t in (j.created_ts, j.started_ts, j.ended_ts) if t]
    earned = [ts for (ts,) in ledger_rows(worker, "SELECT ts FROM earnings")]
    samples = [g.sample.ts for g in status.gpus if g.sample is not None]
    assert job_times and earned and samples
    lo, hi = status.started_ts - 1, status.now + 1
    off = {
        what: [t for t in times if not lo <= t <= hi]
        for what, times in (("events", stamps), ("jobs", job_times), ("earnings", earned),
                            ("samples", samples))
    }  # fmt: skip
    assert not any(off.values()), (lo, hi, off)
    assert max(samples) >= status.now - 3  # the newest reading is within a refresh of now


def practice_gross(worker: WorkerProcess) -> Decimal:
    run = worker.cli("earnings", "--json")
    assert run.returncode == 0, run.stderr
    practice = json.loads(run.stdout)["totals"]["practice"]
    return Decimal(practice["gross"]) if practice else Decimal(0)


def new_pay(worker: WorkerProcess, above: Decimal, poll: Callable[..., Any], when: str) -> Decimal:
    """The practice gross once it is above ``above``. A paid job takes about 2 s after a
    start; the bound is for a busy CI machine, and a miss shows the worker's log."""
    try:
        return Decimal(poll(lambda: (g := practice_gross(worker)) > above and g, timeout=90))
    except AssertionError:
        log = (worker.home / "logs" / "worker.log").read_text(errors="replace")
        tail = "\n".join(log.splitlines()[-40:])
        raise AssertionError(
            f"no new pay within 90 s ({when}); the worker's log ends:\n{tail}"
        ) from None


@pytest.mark.slow
def test_earnings_never_decrease_across_ten_restarts(
    start_worker: StartWorker, tmp_path: Path, poll: Callable[..., Any]
) -> None:
    """Issue 17: the demo's earnings survive restarts, graceful and kill -9 alike. Each
    round waits for new pay, stops the worker (every other time with SIGKILL), starts it
    again and reads the totals first thing: never below what was shown before the stop."""
    home = tmp_path / "home"
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}  # the simulated job runner
    shown = Decimal(0)
    seen: list[Decimal] = []
    for round_ in range(10):
        worker = start_worker("--demo", "--sim-speed", "300", home=home, env=env)
        after_start = practice_gross(worker)
        assert after_start >= shown, (round_, seen, after_start)
        shown = new_pay(worker, after_start, poll, f"round {round_}, after {seen}")
        seen.append(shown)
        if round_ % 2:
            worker.kill()
        else:
            assert worker.stop() == 0
    assert practice_gross(start_worker("--demo", home=home, env=env)) >= shown, seen
