"""The wizard's step helpers: doctor results, commands to copy, expiry, ports and the doctor run."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ipc.client import WorkerNotRunning
from desktop.ipc.protocol import ApiError
from desktop.ipc.schema_data import SettingsPatched
from desktop.ipc.schema_networks import (
    CredentialField,
    EnrollRequest,
    NetworkChange,
    NetworksAnswer,
)
from desktop.model import CheckResult, CheckStatus
from desktop.settings import DEFAULTS
from desktop.views.text import commands_in
from desktop.wizard import checks_step, credentials_step, doctor_run, flow
from desktop.wizard import preferences_step as prefs
from desktop.wizard.client_port import ClientPort
from desktop.wizard.port import PortError
from desktop.wizard.state import CredentialSpec, NetworkOption, WizardState
from tests import api_samples as sample


def test_commands_are_found_in_backticks() -> None:
    fix = (
        "Register the runtime: `sudo nvidia-ctk runtime configure --runtime=docker && "
        "sudo systemctl restart docker`, then `rigpilot doctor`; `x` is too short."
    )
    assert commands_in(fix) == [
        "sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker",
        "rigpilot doctor",
    ]
    assert commands_in("Restart the computer.") == []


def test_smoke_run_only_when_its_prerequisites_pass(fakes: ModuleType) -> None:
    healthy = fakes.healthy_checks()
    assert checks_step.wants_smoke(healthy)
    assert not checks_step.wants_smoke(fakes.with_status(healthy, "driver", "fail"))
    merged = checks_step.merge(healthy[:3], [fakes.check("cuda", "warn"), fakes.check("new")])
    assert [(r.id, r.status) for r in merged] == [
        ("driver", CheckStatus.PASS),
        ("cuda", CheckStatus.WARN),
        ("gpu", CheckStatus.PASS),
        ("new", CheckStatus.PASS),
    ]


def test_headline_sums_up(fakes: ModuleType) -> None:
    state = checks_step.with_results(WizardState(), fakes.healthy_checks())
    assert checks_step.headline(state) == "Everything RigPilot checks is in order."
    bad = fakes.with_status(fakes.healthy_checks(), "docker.engine", "fail", title="Docker")
    text = checks_step.headline(checks_step.with_results(state, bad))
    assert text.startswith("1 problem to fix (Docker)") and "practice network" in text
    running = checks_step.started(WizardState())
    assert checks_step.headline(running) == "Checking this computer…"
    assert checks_step.blocker(running) is not None
    assert checks_step.blocker(WizardState()) is not None


def test_smoke_rerun_merges_into_the_first_results(tmp_path: Path, fakes: ModuleType) -> None:
    port = fakes.FakePort(tmp_path)
    state = flow.run_checks(WizardState(), port)
    port.checks = [fakes.check("gpu.smoke", "fail", "GPU in a container", "Fix the runtime.")]
    state = flow.run_checks(state, port, smoke=True)
    assert len(state.checks) == len(fakes.healthy_checks()) and port.smoke_runs == 1
    assert next(r for r in state.checks if r.id == "gpu.smoke").status is CheckStatus.FAIL


@pytest.mark.parametrize(
    ("days", "words"),
    [(None, ""), (30, "Expires 30 days after"), (1, "1 day after"), (365, "1 year after")],
)
def test_expiry_in_words(days: int | None, words: str) -> None:
    spec = CredentialSpec(
        name="token", kind="api_key", required=True, how_to_obtain="From the dashboard.",
        expires_days=days,
    )  # fmt: skip
    text = credentials_step.expiry_text(spec)
    assert (text == "") if not words else words in text


def test_network_option_is_the_records_view_for_the_wizard() -> None:
    record = sample.record(
        "x",
        requirements=[
            CheckResult("x.gpu", "GPU", CheckStatus.PASS, "ok"),
            CheckResult("x.ram", "RAM", CheckStatus.FAIL, "8 GB", "Add RAM."),
        ],
        credential_fields=[
            CredentialField(
                name="k", kind="api_key", required=True, how_to_obtain="", expires_days=90
            )
        ],
    )
    option = NetworkOption.of(record)
    assert option.display_name == "x" and [r.id for r in option.unmet()] == ["x.ram"]
    assert option.credential_fields[0].expires_days == 90
    assert option.credential_fields[0].title == "K"


def test_thermal_explanation_uses_the_settings_in_force() -> None:
    values = {**DEFAULTS, "thermal.pause_limit_c": 82, "thermal.cooldown_s": 300}
    lines = prefs.thermal_explained(values)
    assert "Pauses the work at 82 °C" in lines[1] and "5 min" in lines[1]
    assert "your card's own limit" in prefs.thermal_explained({})[0]  # not loaded yet


@pytest.mark.parametrize(
    ("text", "value"), [("0.15", 0.15), ("0,2", 0.2), ("3", 3), ("1e-1", 0.1), (" abc ", "abc")]
)
def test_parse_number(text: str, value: Any) -> None:
    parsed = prefs.parse_number(text)
    assert parsed == value and type(parsed) is type(value)


# --- the real port, over a fake client --------------------------------------------------


class FakeClient:
    """Stands in for WorkerClient: records the typed calls, answers typed objects."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[tuple[str, Any]] = []

    def call(self, endpoint: Any, request: Any = None) -> Any:
        self.sent.append((endpoint.name, request))
        if self.error is not None:
            raise self.error
        if endpoint is endpoints.NETWORKS:
            return NetworksAnswer(networks=[sample.record()])
        if endpoint is endpoints.ENROLL:
            return NetworkChange(status=sample.record())
        return SettingsPatched(settings={"autostart": True}, applied=["autostart"])


def test_client_port_maps_api_refusals() -> None:
    refusal = ApiError(
        "invalid_setting",
        "electricity.price_per_kwh must be ...",
        422,
        "electricity.price_per_kwh",
        "a number from 0 to 5 per kWh",
    )
    port = ClientPort(FakeClient(refusal), doctor=lambda smoke: [])
    with pytest.raises(PortError) as info:
        port.patch_settings({"electricity.price_per_kwh": -1})
    assert info.value.field == "electricity.price_per_kwh"
    assert info.value.allowed == "a number from 0 to 5 per kWh"
    assert info.value.code == "invalid_setting"
    down = ClientPort(FakeClient(WorkerNotRunning()), doctor=lambda smoke: [])
    with pytest.raises(PortError, match="not running") as info:
        down.networks()
    assert info.value.code == "unreachable"


def test_client_port_makes_typed_calls() -> None:
    client = FakeClient()
    port = ClientPort(client, doctor=lambda smoke: [])
    assert [n.network for n in port.networks()] == ["demo"]
    assert port.enroll("demo", {"api_key": "k"}).status.network == "demo"
    assert port.patch_settings({"autostart": True}).applied == ["autostart"]
    assert client.sent[1:] == [
        ("enroll", EnrollRequest(network="demo", credentials={"api_key": "k"})),
        ("patch_settings", {"autostart": True}),
    ]


# --- the doctor child process -----------------------------------------------------------


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "doctor.py"
    path.write_text(body, encoding="utf-8")
    return [sys.executable, str(path)]


def test_doctor_report_is_read_from_the_child(tmp_path: Path) -> None:
    report = {
        "version": 1,
        "ok": False,
        "checks": [
            {
                "id": "docker.engine",
                "title": "Docker engine",
                "status": "fail",
                "summary": "gone",
                "fix": "Start it.",
                "details": {},
            },
            {"broken": True},
        ],
    }
    argv = _script(tmp_path, f"import sys; print({json.dumps(json.dumps(report))}); sys.exit(1)")
    results = doctor_run.run_doctor(command=argv, timeout=30)
    assert [(r.id, r.status, r.fix) for r in results] == [
        ("docker.engine", CheckStatus.FAIL, "Start it.")
    ]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("import sys; sys.stderr.write('Traceback\\nBoom: no\\n'); sys.exit(3)", "Boom: no"),
        ("print('not json')", "not JSON"),
        ("print('[1]')", "no list of checks"),
    ],
)
def test_doctor_failures_become_messages(tmp_path: Path, body: str, words: str) -> None:
    with pytest.raises(PortError, match=words):
        doctor_run.run_doctor(command=_script(tmp_path, body), timeout=30)


def test_doctor_timeout_is_a_message(tmp_path: Path) -> None:
    argv = _script(tmp_path, "import time; time.sleep(30)")
    with pytest.raises(PortError, match="did not finish within 0.5 s"):
        doctor_run.run_doctor(command=argv, timeout=0.5)


def test_doctor_command_uses_this_installation() -> None:
    argv = doctor_run.doctor_command(smoke=False)
    assert argv[0] == sys.executable and argv[-3:] == ["doctor", "--json", "--no-smoke"]
    assert "--no-smoke" not in doctor_run.doctor_command(smoke=True)


def test_short_reasons_are_whole_lines_each_said_once(fakes: ModuleType) -> None:
    """A long finding is never cut off (the runc line was), and no problem is listed twice."""
    from desktop.wizard import networks_step

    long_summary = "runc 1.1.5 is older than 1.1.12 and vulnerable " * 5
    checks = fakes.with_status(fakes.healthy_checks(), "runc", "fail", "Upgrade runc.", "runc")
    checks = [c if c.id != "runc" else dataclasses.replace(c, summary=long_summary) for c in checks]
    state = checks_step.with_results(WizardState(), checks)
    option = NetworkOption.of(fakes.nosana_network(gpu_ok=False))
    lines = networks_step.short_reasons(state, option)
    assert lines[0] == "runc: " + long_summary.strip()
    assert lines[1] == "Gpu: gpu missing"
    assert len(lines) == len(set(lines)) == 2
    assert "Upgrade runc." in networks_step.why_not(state, option)
