"""The first-run flow, headless: every branch of issue 9 against a fake worker port.

Branches: all checks pass; Docker missing; toolkit outdated; a network's requirement
unmet; keyring unavailable. Plus the navigation rules (back, skip, step counter) and
refused preferences staying on their step with the worker's message.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from desktop.wizard import credentials_step, flow, networks_step
from desktop.wizard import preferences_step as prefs
from desktop.wizard.state import Step, WizardState


def start(port: Any) -> WizardState:
    state = flow.load(WizardState(), port)
    state = flow.advance(state, port)  # welcome -> checks
    assert state.step is Step.CHECKS
    return flow.run_checks(state, port)


def walk_to_end(state: WizardState, port: Any) -> WizardState:
    """Press Next until done, failing the test if a step refuses."""
    for _ in range(20):
        if flow.is_last(state):
            return state
        state = flow.advance(state, port)
        assert state.problem is None, (state.step, state.problem)
    raise AssertionError("the wizard never reached its last step")


def test_all_checks_pass_both_networks_enroll(tmp_path: Path, fakes: ModuleType) -> None:
    port = fakes.FakePort(tmp_path)
    state = start(port)
    assert flow.blocker(state) is None
    state = flow.advance(state, port)
    assert state.step is Step.NETWORKS
    assert state.chosen == ("demo",), "the practice network is pre-ticked on a first run"
    state = networks_step.choose(state, "nosana", True)
    assert state.problem is None and state.chosen == ("demo", "nosana")
    assert flow.position(state) == (3, 9)

    state = flow.advance(state, port)
    assert (state.step, state.current_network and state.current_network.id) == (
        Step.CREDENTIALS,
        "demo",
    )
    state = credentials_step.set_value(state, "demo", "api_key", "practice-key")
    state = flow.advance(state, port)
    assert state.current_network is not None and state.current_network.id == "nosana"
    assert "practice-key" not in repr(state), "typed secrets stay out of repr and logs"
    assert "demo" not in state.credentials, "the wizard forgets a secret once it is stored"

    blocked = flow.advance(state, port)  # nosana's key file is required
    assert blocked.step is Step.CREDENTIALS and blocked.problem is not None
    assert blocked.problem.field == "key_file" and "Key file" in blocked.problem.message
    state = credentials_step.set_value(blocked, "nosana", "key_file", "/keys/nosana.json")
    state = flow.advance(state, port)
    assert state.step is Step.DEFAULTS
    assert port.enrolled_calls() == [
        ("demo", {"api_key": "practice-key"}),
        ("nosana", {"key_file": "/keys/nosana.json"}),
    ]
    nosana = state.enrollment("nosana")
    assert nosana is not None and nosana.ok and nosana.message == "Wait for approval"

    state = prefs.set_gaming(state, True, True, "10")
    state = flow.advance(state, port)
    state = prefs.set_electricity(state, "0,32", "eur")
    state = flow.advance(state, port)
    state = prefs.set_autostart(state, True)
    state = flow.advance(state, port)
    assert state.step is Step.DONE and flow.is_last(state)
    saved = port.store.current
    assert saved["gaming.idle_only"] is True and saved["gaming.quiet_period_s"] == 600
    assert saved["electricity.price_per_kwh"] == 0.32 and saved["electricity.currency"] == "EUR"
    assert saved["autostart"] is True
    assert set(state.applied) >= {"gaming.idle_only", "electricity.price_per_kwh", "autostart"}
    assert flow.advance(state, port) is state, "Next on the last step does nothing"


def test_docker_missing_locks_docker_networks_only(tmp_path: Path, fakes: ModuleType) -> None:
    fix = "Install Docker Engine and start it: `sudo systemctl enable --now docker`"
    checks = fakes.with_status(
        fakes.healthy_checks(), "docker.engine", "fail", fix, "Docker engine"
    )
    port = fakes.FakePort(tmp_path, checks=checks)
    state = start(port)
    assert flow.blocker(state) is None, "a failing check does not block the wizard itself"
    state = flow.advance(state, port)
    nosana = state.network("nosana")
    assert nosana is not None
    why = networks_step.why_not(state, nosana)
    assert "Docker engine" in why and "systemctl enable --now docker" in why
    state = networks_step.choose(state, "nosana", True)
    assert "nosana" not in state.chosen and state.problem is not None
    assert state.problem.field == "nosana"
    demo = state.network("demo")
    assert demo is not None and networks_step.why_not(state, demo) == ""
    state = walk_to_end(networks_step.choose(state, "demo", True), port)
    assert state.enrolled_ids == ("demo",)

    # Re-check after the fault is removed: the lock goes away.
    port.checks = fakes.healthy_checks()
    state = flow.run_checks(state, port)
    assert networks_step.why_not(state, nosana) == ""


def test_toolkit_outdated_locks_gpu_container_networks(tmp_path: Path, fakes: ModuleType) -> None:
    fix = "Upgrade the NVIDIA Container Toolkit to 1.17.8 or newer (CVE-2025-23266)."
    checks = fakes.with_status(
        fakes.healthy_checks(), "toolkit.version", "fail", fix, "NVIDIA Container Toolkit"
    )
    port = fakes.FakePort(tmp_path, checks=checks)
    state = flow.advance(start(port), port)
    state = networks_step.choose(state, "nosana", True)
    assert state.chosen == ("demo",)
    assert state.problem is not None and "CVE-2025-23266" in state.problem.message


def test_a_choice_made_before_a_recheck_is_dropped_with_the_reason(
    tmp_path: Path, fakes: ModuleType
) -> None:
    port = fakes.FakePort(tmp_path)
    state = flow.advance(start(port), port)
    state = networks_step.choose(state, "nosana", True)
    assert state.chosen == ("demo", "nosana")
    port.checks = fakes.with_status(
        fakes.healthy_checks(), "docker.engine", "fail", "Start Docker.", "Docker engine"
    )
    state = flow.run_checks(state, port)
    assert state.chosen == ("demo",)
    assert state.problem is not None and state.problem.field == "nosana"
    assert state.problem.message == (
        "Nosana was unticked: Docker engine: not fine. The fixes are on the checks page."
    )


def test_unmet_requirement_says_why_and_cannot_be_chosen(tmp_path: Path, fakes: ModuleType) -> None:
    port = fakes.FakePort(
        tmp_path, networks=[fakes.demo_network(), fakes.nosana_network(gpu_ok=False)]
    )
    state = flow.advance(start(port), port)
    nosana = state.network("nosana")
    assert nosana is not None
    assert "Nosana accepts RTX 3060 and newer." in networks_step.why_not(state, nosana)
    refused = networks_step.choose(state, "nosana", True)
    assert refused.chosen == ("demo",) and refused.problem is not None
    # Forcing it into the state (a stale GUI) is caught by Next.
    forced = dataclasses.replace(state, chosen=("demo", "nosana"))
    stuck = flow.advance(forced, port)
    assert stuck.step is Step.NETWORKS and stuck.problem is not None
    assert stuck.problem.field == "nosana"


def test_keyring_unavailable_keeps_the_step_then_skip_or_go_without_secret(
    tmp_path: Path, fakes: ModuleType
) -> None:
    port = fakes.FakePort(tmp_path, keyring_ok=False)
    state = flow.advance(flow.advance(start(port), port), port)
    assert state.step is Step.CREDENTIALS
    state = credentials_step.set_value(state, "demo", "api_key", "secret-value")
    refused = flow.advance(state, port)
    assert refused.step is Step.CREDENTIALS
    assert refused.problem is not None and "keyring" in refused.problem.message
    outcome = refused.enrollment("demo")
    assert outcome is not None and not outcome.ok

    skipped = flow.skip_network(refused)
    assert skipped.step is Step.DEFAULTS and skipped.skipped == ("demo",)
    assert skipped.enrolled_ids == () and "demo" not in skipped.credentials

    # The practice key is optional: emptied, enrollment needs no keyring.
    emptied = credentials_step.set_value(refused, "demo", "api_key", "")
    done = flow.advance(emptied, port)
    assert done.step is Step.DEFAULTS and done.enrolled_ids == ("demo",)


def test_no_network_chosen_goes_straight_to_the_defaults(tmp_path: Path, fakes: ModuleType) -> None:
    port = fakes.FakePort(tmp_path)
    state = flow.advance(start(port), port)
    state = networks_step.choose(state, "demo", False)
    state = flow.advance(state, port)
    assert state.step is Step.DEFAULTS
    assert flow.position(state) == (4, 7)


def test_back_walks_the_history(tmp_path: Path, fakes: ModuleType) -> None:
    port = fakes.FakePort(tmp_path)
    state = flow.advance(start(port), port)
    state = networks_step.choose(state, "nosana", True)
    state = flow.advance(state, port)
    state = flow.advance(state, port)  # demo enrolled, now nosana
    assert state.cred_index == 1
    state = flow.back(state)
    assert state.step is Step.CREDENTIALS and state.cred_index == 0
    assert flow.blocker(state) is None, "an enrolled network's step does not block"
    state = flow.back(flow.back(flow.back(state)))
    assert state.step is Step.WELCOME and flow.back(state) is state


@pytest.mark.parametrize(
    ("price", "field", "words"),
    [
        ("-1", "electricity.price_per_kwh", "from 0 to 5"),
        ("cheap", "electricity.price_per_kwh", "'cheap'"),
    ],
)
def test_bad_price_is_refused_in_place_and_not_saved(
    tmp_path: Path, fakes: ModuleType, price: str, field: str, words: str
) -> None:
    port = fakes.FakePort(tmp_path)
    state = dataclasses.replace(flow.load(WizardState(), port), step=Step.ELECTRICITY)
    state = prefs.set_electricity(state, price, "USD")
    refused = flow.advance(state, port)
    assert refused.step is Step.ELECTRICITY and refused.problem is not None
    assert refused.problem.field == field and words in refused.problem.message
    assert "from 0 to 5" in refused.problem.allowed
    assert port.store.current["electricity.price_per_kwh"] == 0.15


def test_bad_quiet_period_is_caught_before_the_worker(tmp_path: Path, fakes: ModuleType) -> None:
    port = fakes.FakePort(tmp_path)
    state = dataclasses.replace(flow.load(WizardState(), port), step=Step.DEFAULTS)
    refused = flow.advance(prefs.set_gaming(state, True, False, "soon"), port)
    assert refused.problem is not None and refused.problem.field == "gaming.quiet_period_s"
    assert not [c for c in port.calls if c[0] == "patch"]
    too_long = flow.advance(prefs.set_gaming(state, True, False, "90"), port)
    assert too_long.problem is not None and "from 0 to 3600" in too_long.problem.message


def test_worker_unreachable_is_reported_not_raised(tmp_path: Path, fakes: ModuleType) -> None:
    from desktop.wizard.port import PortError

    class Down(fakes.FakePort):  # type: ignore[misc, name-defined]
        def networks(self) -> list[dict[str, Any]]:
            raise PortError("RigPilot's worker is not running", code="unreachable")

        def run_checks(self, smoke: bool = False) -> list[Any]:
            raise PortError("the setup checks failed to run (boom)")

    port = Down(tmp_path)
    state = flow.advance(flow.load(WizardState(), port), port)
    state = flow.run_checks(state, port)
    assert state.checks_error and flow.blocker(state) is None
    state = flow.advance(state, port)
    assert state.step is Step.NETWORKS and state.networks_error
    stuck = flow.advance(state, port)  # Next retries the worker, then says why
    assert stuck.step is Step.NETWORKS and stuck.problem is not None
    assert "worker is not running" in stuck.problem.message
    assert "try again" in stuck.problem.message

    # The worker comes up (first start): the next press loads the list and goes on.
    port.networks = lambda: [fakes.demo_network()]  # type: ignore[method-assign]
    shown = flow.advance(stuck, port)
    assert shown.networks_loaded and shown.step is Step.NETWORKS, "the user chooses first"
    assert shown.chosen == ("demo",) and shown.problem is not None
    assert "choose" in shown.problem.message
    assert flow.advance(shown, port).step is Step.CREDENTIALS
