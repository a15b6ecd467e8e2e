"""One judgement of "can this computer join this network" for the wizard and the Networks
page (desktop/views/requirements.py), on the worker's requirements and the doctor's run."""

from __future__ import annotations

from desktop.model import CheckResult, CheckStatus
from desktop.views.requirements import judge, why_not
from desktop.wizard import networks_step
from desktop.wizard.state import NetworkOption, WizardState
from tests import api_samples as sample


def need(topic: str, ok: bool = True, summary: str = "", fix: str = "") -> CheckResult:
    status = CheckStatus.PASS if ok else CheckStatus.FAIL
    return CheckResult(f"nosana.{topic}", topic.capitalize(), status, summary or topic, fix)


def check(
    check_id: str, ok: bool, summary: str = "", fix: str = "", title: str = ""
) -> CheckResult:
    status = CheckStatus.PASS if ok else CheckStatus.FAIL
    return CheckResult(check_id, title or check_id, status, summary or check_id, fix)


def test_without_a_doctor_run_the_worker_decides() -> None:
    fitness = judge([need("docker"), need("gpu", False, "no NVIDIA GPU found", "Plug one in.")])
    assert [(n.title, n.met) for n in fitness.needs] == [("Docker", True), ("Gpu", False)]
    assert not fitness.fit
    (missing,) = fitness.shortfalls
    assert missing.line == "Gpu: no NVIDIA GPU found" and missing.plain_fix == "Plug one in."
    assert judge([need("docker"), need("gpu")]).fit


def test_a_doctor_failure_under_a_met_requirement_unmeets_it_with_the_doctors_words() -> None:
    """The worker saw Docker at start; the doctor now finds runc too old: Docker is ✘,
    explained by the runc finding (the precise one), not by a generic "Docker" line."""
    runc = check("runc", False, "runc 1.1.5 is older than 1.1.12", "Upgrade `runc`.", "runc")
    fitness = judge([need("docker"), need("ram")], [runc, check("docker.engine", True)])
    assert [(n.title, n.met) for n in fitness.needs] == [("Docker", False), ("Ram", True)]
    (missing,) = fitness.shortfalls
    assert missing.line == "runc: runc 1.1.5 is older than 1.1.12"
    assert missing.sentence == "runc: runc 1.1.5 is older than 1.1.12. Fix: Upgrade runc."
    assert missing.commands == ["runc"]  # what the fix quotes, for a Copy button


def test_each_problem_is_told_once_and_whole() -> None:
    """The driver stands under two requirements (GPU and CUDA): listed once; the worker's
    own line for an unmet requirement is left out when the doctor's finding explains it."""
    long = "the NVIDIA driver is not installed, " * 6
    driver = check("driver", False, long, "Install the driver: `sudo ubuntu-drivers install`.")
    fitness = judge([need("gpu", False, "no GPU"), need("cuda")], [driver])
    assert [s.id for s in fitness.shortfalls] == ["driver"]
    assert fitness.shortfalls[0].line == f"driver: {long.strip()}"  # never cut off
    assert fitness.shortfalls[0].commands == ["sudo ubuntu-drivers install"]
    assert "`" not in fitness.shortfalls[0].sentence
    assert "Nosana needs: driver:" in why_not("Nosana", fitness)
    assert why_not("Nosana", judge([need("gpu")])) == ""


def test_the_wizard_and_the_networks_page_judge_alike() -> None:
    """The wizard's ✔/✘ for a network is the function's answer on the same inputs, which is
    what the Networks page's card shows (ui/network_card.NetworkCard.fitness)."""
    record = sample.record("nosana", requirements=[need("docker"), need("gpu", False)])
    checks = [check("docker.engine", False, "Docker is not running", "Start it.")]
    state = WizardState(checks=tuple(checks))
    option = NetworkOption.of(record)
    assert networks_step.fitness(state, option) == judge(record.requirements, checks)
    assert networks_step.short_reasons(state, option) == [
        "docker.engine: Docker is not running",
        "Gpu: gpu",
    ]
