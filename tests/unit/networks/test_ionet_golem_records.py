"""io.net's and Golem's pure pieces, table-style: answers read from the recorded shapes,
bad ones refused with the reason, requirements judged on facts, the launch command."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.model import CheckStatus, Money
from desktop.networks import golem_parse, ionet_parse
from desktop.networks.golem_node import _key_from
from desktop.networks.golem_requirements import GolemHost, check_requirements
from desktop.networks.ionet_launch import LaunchCommand
from desktop.networks.ionet_requirements import check_requirements as ionet_requirements
from desktop.networks.ionet_requirements import gpu_supported, idle_threshold_pct
from desktop.networks.ionet_token import ExplorerToken, KnownTokens, jwt_expiry
from desktop.networks.records import HostFacts

DATA = Path(__file__).resolve().parents[2] / "data"


def recorded(network: str, name: str) -> object:
    return json.loads((DATA / network / name).read_text())


# --- io.net --------------------------------------------------------------------------------


def test_ionets_documented_examples_read_as_records() -> None:
    summary = ionet_parse.parse_summary(recorded("ionet", "device_summary.json"))
    assert summary["down_percentage"] == 22.0 and summary["connectivity_tier"] == 2
    assert summary["total_earnings_io"] == "0"
    pow_ = ionet_parse.parse_pow(recorded("ionet", "pow_summary.json"), 22.0)
    assert pow_.uptime_pct == 78.0 and pow_.verified is True
    assert pow_.score == pytest.approx(100 * 23 / 24)
    total, counts = ionet_parse.parse_block_rewards(
        recorded("ionet", "block_rewards_summary_empty.json")
    )
    assert total == Money(Decimal(0), "IO") and counts["total_blocks_missed"] == 0
    jobs, bad = ionet_parse.parse_jobs(recorded("ionet", "device_details.json"), 2e9)
    assert bad == 0 and [j.earned for j in jobs] == [None, None]  # earned 0: nothing paid


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({}, "no 'data' object"),
        ({"data": {"down_percentage": "22"}}, "down_percentage is str"),
        ({"data": {"total_earnings": True}}, "total_earnings is bool"),
        ([1, 2], "no 'data' object"),
    ],
)
def test_a_summary_without_the_documented_shape_says_what_is_wrong(
    answer: object, words: str
) -> None:
    with pytest.raises(ionet_parse.BadAnswer, match=words):
        ionet_parse.parse_summary(answer)


def test_a_pow_word_never_seen_is_neither_verified_nor_failed() -> None:
    answer = {"data": {"last_challenge_status": "queued", "pow_jobs_passed": 0}}
    assert ionet_parse.parse_pow(answer).verified is None
    failed = {"data": {"last_challenge_status": "failed", "pow_jobs_failed": 2}}
    assert ionet_parse.parse_pow(failed).verified is False


def test_the_jwt_expiry_is_read_and_a_token_without_one_lasts_21_days() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiAxNzAwMDAwMDAwfQ.c2ln"  # {"exp": 1700000000}
    assert jwt_expiry(token) == 1_700_000_000.0
    for opaque in ("not-a-jwt", "a.b.c", "a.eyJleHAiOiJzb29uIn0.c"):  # exp "soon"
        assert jwt_expiry(opaque) is None
    given = ExplorerToken.given("opaque-token", 1000.0)
    assert given.expires_at == 1000.0 + 21 * 86400


def test_known_tokens_keep_only_a_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "ionet-explorer-token"
    KnownTokens(path).remember("secret-jwt")
    assert "secret-jwt" not in path.read_text()
    assert KnownTokens(path).known("secret-jwt") and not KnownTokens(path).known("other")


def test_the_launch_command_has_the_documented_flags_and_hides_the_token() -> None:
    command = LaunchCommand(Path("/opt/io/io_net_launch_binary_linux"), "d-1", "my rig", "tok")
    assert command.argv()[1:] == [
        "--device_id=d-1",
        "--device_name=my rig",
        "--token=tok",
        "--no_warnings=true",
    ]
    assert command.shown().endswith("--device_name=my rig --token=<token> --no_warnings=true")


@pytest.mark.parametrize(
    ("name", "supported", "pct"),
    [
        ("NVIDIA GeForce RTX 3060", True, 20.0),
        ("NVIDIA GeForce RTX 4070 Ti", True, 20.0),
        ("NVIDIA GeForce RTX 4090", True, 5.0),
        ("NVIDIA GeForce RTX 4090 D", True, 5.0),
        ("NVIDIA GeForce RTX 5090", True, 5.0),
        ("NVIDIA RTX 6000 Ada Generation", True, 5.0),
        ("NVIDIA H100 80GB HBM3", True, 5.0),
        ("NVIDIA GeForce RTX 3050", False, 20.0),
        ("NVIDIA GeForce GTX 1080 Ti", False, 20.0),
    ],
)
def test_ionets_list_and_thresholds(name: str, supported: bool, pct: float) -> None:
    assert gpu_supported(name) is supported
    assert idle_threshold_pct(name) == pct


def test_ionet_requirements_name_the_fix() -> None:
    facts = HostFacts("linux", False, 8.0, 10.0, False, False, ("NVIDIA GeForce GTX 1080",))
    failing = {c.id: c for c in ionet_requirements(facts) if c.status is CheckStatus.FAIL}
    assert set(failing) == {"ionet.docker", "ionet.toolkit", "ionet.ram", "ionet.disk", "ionet.gpu"}
    assert "20 GB" in failing["ionet.disk"].fix and "12 GB" in failing["ionet.ram"].fix


# --- Golem ---------------------------------------------------------------------------------


def test_yagnas_answers_read_as_records() -> None:
    assert golem_parse.parse_me(recorded("golem", "me.json")).startswith("0x7e5c")
    agreements = golem_parse.parse_agreements(recorded("golem", "agreements.json"))
    invoices = golem_parse.parse_invoices(recorded("golem", "invoices.json"))
    jobs = {j.job_id[:4]: j for j in golem_parse.jobs_from(agreements, invoices, "GLM")}
    assert jobs["0a1b"].earned == Money(Decimal("0.125"), "GLM")
    assert jobs["0a1b"].state == "SETTLED" and jobs["6e2a"].earned is None
    assert (
        golem_parse.parse_activity_state(recorded("golem", "activity_state_ready.json")) == "Ready"
    )


@pytest.mark.parametrize(
    ("parse", "answer", "words"),
    [
        (golem_parse.parse_me, {"identity": "alice"}, "not an 0x address"),
        (golem_parse.parse_me, [], "not an object"),
        (golem_parse.parse_agreements, {}, "not a list"),
        (golem_parse.parse_agreements, [{"validTo": "2025-01-01"}], "has no id"),
        (golem_parse.parse_activity_state, {"state": ["Hibernating", None]}, "never seen"),
        (golem_parse.parse_activity_state, {"state": []}, "no current state"),
        (
            golem_parse.parse_invoices,
            [{"invoiceId": "i", "agreementId": "a", "amount": "1", "status": "PAID"}],
            "never seen",
        ),
        (
            golem_parse.parse_invoices,
            [{"invoiceId": "i", "agreementId": "a", "amount": "lots", "status": "SETTLED"}],
            "not a number",
        ),
        (golem_parse.parse_stats_node, [{"node_id": "0x"}], "no 'online'"),
        (golem_parse.parse_stats_earnings, {}, "no amounts"),
    ],
)
def test_golem_answers_without_the_shape_say_what_is_wrong(
    parse: object, answer: object, words: str
) -> None:
    with pytest.raises(golem_parse.BadAnswer, match=words):
        parse(answer)  # type: ignore[operator]


def test_the_stats_give_uptime_reputation_and_glm() -> None:
    node = golem_parse.parse_stats_node(recorded("golem", "stats_node.json"))
    reputation = golem_parse.reputation_from(node, recorded("golem", "stats_uptime.json"))
    assert reputation.uptime_pct == 96.5 and reputation.verified is True
    assert reputation.score == pytest.approx(92.0)
    total = golem_parse.parse_stats_earnings(recorded("golem", "stats_earnings.json"))
    assert total == Money(Decimal("1.75"), "GLM")


def test_yagnas_app_key_list_in_either_shape() -> None:
    listing = [{"name": "other", "key": "k0"}, {"name": "autoconfigured", "key": "k1"}]
    assert _key_from(listing) == "k1"
    table = {"headers": ["name", "key", "id"], "values": [["default", "k2", "0x1"]]}
    assert _key_from(table) == "k2"
    assert _key_from([]) is None and _key_from("garbage") is None


def test_golem_requirements_need_linux_virtualization_and_kvm() -> None:
    facts = HostFacts("linux", False, 16.0, 100.0, True, True, ())
    good = GolemHost("x86_64", ("vmx",), True, "/dev/kvm usable")
    assert all(c.status is CheckStatus.PASS for c in check_requirements(facts, good))
    bad = GolemHost("aarch64", (), False, "/dev/kvm is not usable by this user")
    wsl = HostFacts("linux", True, 16.0, 100.0, True, True, ())
    failing = {c.id: c for c in check_requirements(wsl, bad) if c.status is CheckStatus.FAIL}
    assert set(failing) == {"golem.linux", "golem.virtualization", "golem.kvm"}
    assert "usermod -aG kvm" in failing["golem.kvm"].fix
    route = [c for c in check_requirements(facts, good) if c.id == "golem.gpu_route"][0]
    assert "gpu-golem-live" in route.details["note"]
