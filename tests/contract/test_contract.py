"""One contract, every network: tests/contract/README.md says what each case declares.

Healthy recorded answers must map to the documented state and to money in the network's
own unit; bad answers (500s, timeouts, malformed JSON, missing fields, states never seen,
expired credentials, rate-limit codes) must give status "unknown", or an action for the
user, with the reason, and never an exception (reads other than ``status`` may refuse
with a NetworkError, the sentence the supervisor shows); a failing endpoint is backed off
and the delay is in the log. Listed-only networks must say why RigPilot cannot join them.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop.model import CheckStatus, Money, NodeState
from desktop.networks import nulls
from desktop.networks.base import (
    Controllable,
    EarningsReporter,
    Enrollable,
    EnrollmentError,
    JobSource,
    MonitorOnly,
    NetworkError,
    Pausable,
    ReputationReporter,
)
from desktop.networks.records import HostFacts
from tests.contract.conftest import Build, ids, registered
from tests.contract.harness import Case, NetworkServer, Reply, case_names, contains, load_case

FACTS = HostFacts("linux", False, 64.0, 500.0, True, True, ("NVIDIA GeForce RTX 4090",))
ACTION_STATES = (NodeState.ERROR, NodeState.BLOCKED)  # the user must act (a new key...)
BACKOFF_LOGGED = re.compile(r"retrying in \d")


# Which networks each test is about (README.md): the bad-answer tests need remote answers
# to break ("local" networks answer from memory, "listed" ones are asked nothing).
API = ids(lambda case: case.kind == "api")
MONEY = ids(lambda case: case.kind != "listed")
PAUSES = ids(lambda case: case.pause is not None)
CREDENTIALED = ids(lambda case: case.kind == "api" and case.expired is not None)
SURPRISES = ids(lambda case: case.kind == "api" and bool(case.unseen))
LISTED = ids(lambda case: case.kind == "listed")


def enrolled(case: Case, server: NetworkServer, build: Build) -> Any:
    """The adapter, enrolled (and started when the case says so) on healthy answers."""
    case.serve(server)
    adapter = build()
    action = nulls.enrollment(adapter, FACTS).enroll(case.credentials)
    assert action is None, f"healthy answers should enroll at once, got: {action}"
    if getattr(case.module, "START", False) and isinstance(adapter, Controllable):
        adapter.start()
    return adapter


def totals(amounts: list[Money]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for money in amounts:
        out[money.unit] = out.get(money.unit, Decimal(0)) + money.amount
    return out


# --- the list of cases ------------------------------------------------------------------------


def test_every_registered_network_has_a_case_and_every_case_a_network() -> None:
    ids = [spec.id for spec in registered()]
    for network in ids:
        load_case(network)  # FileNotFoundError names the file to write
    stale = sorted(set(case_names()) - set(ids))
    assert not stale, f"contract cases for networks that are not registered: {stale}"


def test_a_case_declares_a_known_kind(case: Case) -> None:
    assert case.kind in ("api", "local", "listed")
    if case.kind == "api":
        assert case.routes, "an api case records the answers its adapter reads"
        assert case.healthy, "an api case says which state its healthy answers mean"


# --- healthy answers ---------------------------------------------------------------------------


def test_healthy_answers_map_to_the_documented_states(
    case: Case, server: NetworkServer, build: Build
) -> None:
    if case.kind == "listed":
        adapter = build()
        assert adapter.status().state is NodeState.NOT_ENROLLED
        return
    for name, (overrides, state) in case.healthy.items():
        adapter = enrolled(case, server, build)
        case.serve(server, overrides)
        snap = adapter.status()
        assert snap.state is state, f"{name}: {snap}"
        assert snap.as_of > 0


@pytest.mark.parametrize("network", MONEY)
def test_money_and_reputation_come_in_the_networks_own_unit(
    case: Case, server: NetworkServer, build: Build
) -> None:
    adapter = enrolled(case, server, build)
    summary = nulls.earnings_api(adapter).earnings(None, None)
    assert totals(summary.earned) == case.earned
    assert totals(summary.claimable) == case.claimable
    for money in [*summary.earned, *summary.claimable, *summary.pending]:
        assert money.unit.isupper() and money.unit != "", money
    if case.reputation is not None:
        reputation = nulls.reputation_api(adapter).reputation()
        assert reputation is not None
        seen = {**reputation.details, **vars(reputation)}
        for key, value in case.reputation.items():
            assert seen.get(key) == value, f"reputation {key}: {seen.get(key)!r} != {value!r}"


@pytest.mark.parametrize("network", PAUSES)
def test_pause_and_resume_send_the_documented_requests(
    case: Case, server: NetworkServer, build: Build
) -> None:
    adapter = enrolled(case, server, build)
    assert isinstance(adapter, Pausable)
    assert case.resume is not None
    for act, (route, body) in ((adapter.pause, case.pause), (adapter.resume, case.resume)):
        act()
        sent = server.sent(route)
        assert sent and contains(sent[-1].json(), body), (route, [r.body for r in sent])


# --- bad answers -------------------------------------------------------------------------------

MALFORMED = Reply(200, b'{"state": "QUEUED", "servers": [')


def bad_reply(case: Case, kind: str) -> Reply:
    if kind == "http 500":
        return Reply(500, b"internal error")
    if kind == "timeout":
        return Reply(200, b"{}", delay_s=case.timeout_s + 0.5)
    if kind == "malformed json":
        return MALFORMED
    if kind == "rate limited":
        return case.reply(case.rate_limited)
    raise AssertionError(kind)


def reads_survive(adapter: Any) -> None:
    """Every read either answers or refuses with a NetworkError's sentence: no crash."""
    for read in (
        lambda: nulls.earnings_api(adapter).earnings(None, None),
        lambda: nulls.earnings_api(adapter).jobs(None),
        lambda: nulls.reputation_api(adapter).reputation(),
    ):
        try:
            read()
        except NetworkError as exc:
            assert str(exc), "a refusal must say why"


def assert_unknown_with_reason(snap: Any) -> None:
    assert snap.state is NodeState.UNKNOWN, snap
    assert snap.message.strip(), f"no reason given: {snap}"


@pytest.mark.parametrize("network", API)
@pytest.mark.parametrize("kind", ["http 500", "timeout", "malformed json", "rate limited"])
def test_a_failing_api_is_unknown_with_the_reason_and_backed_off(
    case: Case,
    server: NetworkServer,
    build: Build,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    adapter = enrolled(case, server, build)
    case.break_all(server, bad_reply(case, kind))
    with caplog.at_level(logging.INFO):
        snap = adapter.status()
        if kind != "timeout":  # each read would wait out the timeout again
            reads_survive(adapter)
    assert_unknown_with_reason(snap)
    said = [r.getMessage() for r in caplog.records if BACKOFF_LOGGED.search(r.getMessage())]
    assert said, f"no backoff in the log for {kind}: {caplog.text}"
    assert any(case.network in line.lower() for line in said), said


@pytest.mark.parametrize("network", API)
def test_missing_fields_are_unknown_with_the_reason(
    case: Case, server: NetworkServer, build: Build
) -> None:
    adapter = enrolled(case, server, build)
    for overrides in ({route: (200, b"{}") for route in case.routes}, case.missing):
        if not overrides:
            continue
        case.serve(server, overrides)
        assert_unknown_with_reason(adapter.status())
        reads_survive(adapter)


@pytest.mark.parametrize("network", SURPRISES)
def test_a_state_never_seen_is_unknown_with_the_reason(
    case: Case, server: NetworkServer, build: Build
) -> None:
    adapter = enrolled(case, server, build)
    case.serve(server, case.unseen)
    assert_unknown_with_reason(adapter.status())


@pytest.mark.parametrize("network", CREDENTIALED)
def test_expired_credentials_are_an_action_for_the_user(
    case: Case, server: NetworkServer, build: Build
) -> None:
    adapter = enrolled(case, server, build)
    case.break_all(server, case.reply(case.expired))
    snap = adapter.status()
    assert snap.state in (NodeState.UNKNOWN, *ACTION_STATES), snap
    assert case.renew_hint and case.renew_hint in snap.message, snap.message
    reads_survive(adapter)


@pytest.mark.parametrize("network", CREDENTIALED)
def test_enrolling_with_refused_credentials_names_the_field(
    case: Case, server: NetworkServer, build: Build
) -> None:
    case.serve(server)
    case.break_all(server, case.reply(case.expired))
    adapter = build()
    with pytest.raises(EnrollmentError) as info:
        nulls.enrollment(adapter, FACTS).enroll(case.credentials)
    secret = [f.name for f in adapter.credential_schema() if f.secret]
    assert info.value.field in secret and str(info.value)


# --- listed-only networks ------------------------------------------------------------------------


@pytest.mark.parametrize("network", LISTED)
def test_a_listed_network_says_why_it_cannot_be_joined_and_what_to_do(
    case: Case, build: Build, tmp_path: Path
) -> None:
    adapter = build()
    for capability in (
        Enrollable,
        Controllable,
        Pausable,
        JobSource,
        EarningsReporter,
        ReputationReporter,
        MonitorOnly,
    ):
        assert not isinstance(adapter, capability), capability
    (check,) = adapter.requirements(FACTS)
    assert check.status is CheckStatus.FAIL
    assert check.summary and check.fix and check.details.get("source")
    assert adapter.credential_schema() == []
    with pytest.raises(EnrollmentError, match="cannot enroll"):
        nulls.enrollment(adapter, FACTS).enroll({})
