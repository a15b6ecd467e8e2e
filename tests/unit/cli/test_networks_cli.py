"""``rigpilot enroll`` never takes a secret from argv; prompts and --from-env instead."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from desktop.cli.enroll import collect_credentials
from desktop.ipc import endpoints
from desktop.ipc.schema_data import EarningsAnswer
from desktop.ipc.schema_networks import (
    ActionRequired,
    CredentialField,
    EnrollRequest,
    NetworkChange,
    NetworksAnswer,
    Reputation,
)
from desktop.model import NodeState
from tests import api_samples as sample

FIELDS = [
    CredentialField(
        name="api_key", kind="api_key", required=True, how_to_obtain="x", secret=True,
        label="API key",
    ),
    CredentialField(name="key_file", kind="file", required=False, how_to_obtain="y"),
]  # fmt: skip


def no_prompt(prompt: str) -> str:
    raise AssertionError(f"unexpected prompt {prompt!r}")


def test_secret_on_the_command_line_is_refused() -> None:
    with pytest.raises(ValueError, match="never taken from the command line") as info:
        collect_credentials("demo", FIELDS, ["api_key=hunter2"], False, False, no_prompt, no_prompt)
    assert "hunter2" not in str(info.value) and "RIGPILOT_DEMO_API_KEY" in str(info.value)


def test_secret_is_asked_hidden_when_interactive() -> None:
    asked: list[str] = []

    def secret(prompt: str) -> str:
        asked.append(prompt)
        return "s3cret"

    creds = collect_credentials("demo", FIELDS, ["key_file=/k"], False, True, secret, lambda p: "")
    assert creds == {"api_key": "s3cret", "key_file": "/k"} and asked == ["API key: "]


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIGPILOT_DEMO_API_KEY", "from-env")
    creds = collect_credentials("demo", FIELDS, [], True, False, no_prompt, no_prompt)
    assert creds == {"api_key": "from-env"}


@pytest.mark.parametrize(
    ("given", "message"),
    [(["nonsense"], "NAME=VALUE"), (["colour=red"], "no field 'colour'"), ([], "needs API key")],
)
def test_bad_input_names_the_fix(given: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        collect_credentials("demo", FIELDS, given, False, False, no_prompt, no_prompt)


class StubClient:
    """Stands in for desktop.ipc.client.WorkerClient; records the typed requests."""

    sent: list[tuple[str, Any]] = []

    def __enter__(self) -> StubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def call(self, endpoint: Any, request: Any = None) -> Any:
        self.sent.append((endpoint.name, request))
        if endpoint is endpoints.NETWORKS:
            demo = sample.record(
                state=NodeState.BUSY,
                earnings_today=sample.money("0.42", "0.31"),
                reputation=Reputation(score=71.4),
                credential_fields=FIELDS,
            )
            return NetworksAnswer(networks=[demo])
        if endpoint is endpoints.EARNINGS:
            day = {
                "date": "2026-03-01",
                "network": "demo",
                "currency": "USD",
                "gross": "0.42",
                "energy_kwh": "0.2",
                "running_hours": "1",
                "electricity": "0.11",
                "net": "0.31",
            }
            keys = ("currency", "gross", "energy_kwh", "electricity", "net")
            totals = {k: day[k] for k in keys}
            tariff = {"price_per_kwh": "0.40", "system_overhead_w": "60", "currency": "USD"}
            return msgspec.convert(
                {"days": [day], "totals": totals, "tariff": tariff}, EarningsAnswer
            )
        assert endpoint is endpoints.ENROLL
        return NetworkChange(
            status=sample.record(),
            action_required=ActionRequired(message="Run it once.", command="docker run x"),
        )


def test_commands_print_tables_and_enroll_posts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli import _calls as calls
    from desktop.cli import build_parser, enroll
    from desktop.cli import networks as cli

    monkeypatch.setattr(calls.WorkerClient, "from_env", classmethod(lambda cls: StubClient()))
    parser = build_parser()
    assert cli.cmd_networks(parser.parse_args(["networks"])) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "$0.4200 / $0.3100" in out and "71/100" in out
    assert cli.cmd_earnings(parser.parse_args(["earnings", "--days", "3"])) == 0
    out = capsys.readouterr().out
    assert "ELECTRICITY" in out and "$0.3100" in out and "0.40 USD per kWh" in " ".join(out.split())
    monkeypatch.setenv("RIGPILOT_DEMO_API_KEY", "from-env")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert enroll.cmd_enroll(parser.parse_args(["enroll", "demo", "--from-env"])) == 0
    assert StubClient.sent[-1] == (
        "enroll",
        EnrollRequest(network="demo", credentials={"api_key": "from-env"}),
    )
    out = capsys.readouterr().out
    assert "Run it once." in out and "docker run x" in out
    assert enroll.cmd_enroll(parser.parse_args(["enroll", "salad"])) == 2


def test_an_enrollment_in_the_background_is_followed_to_its_end(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli import _calls as calls
    from desktop.cli import build_parser
    from desktop.cli import enroll as cli
    from desktop.ipc.schema import Operation, OperationState
    from desktop.ipc.schema_networks import NetworkAnswer, OperationAnswer

    def operation(state: OperationState, message: str) -> Operation:
        return Operation(
            id="op1", kind="enroll", network="demo", state=state, message=message,
            started_ts=sample.NOW,
        )  # fmt: skip

    steps = [
        OperationAnswer(operation=operation(OperationState.RUNNING, "pulling the image (60 %)")),
        OperationAnswer(operation=operation(OperationState.SUCCEEDED, "enrolled")),
    ]

    class Background(StubClient):
        def call(self, endpoint: Any, request: Any = None) -> Any:
            if endpoint is endpoints.ENROLL:
                running = operation(OperationState.RUNNING, "pulling the image")
                return NetworkChange(status=sample.record(enrolled=False), operation=running)
            if endpoint is endpoints.OPERATION:
                assert request.id == "op1"
                return steps.pop(0)
            if endpoint is endpoints.NETWORK:
                return NetworkAnswer(network=sample.record())
            return super().call(endpoint, request)

    monkeypatch.setattr(calls.WorkerClient, "from_env", classmethod(lambda cls: Background()))
    monkeypatch.setattr(cli, "OPERATION_POLL_S", 0.0)
    monkeypatch.setenv("RIGPILOT_DEMO_API_KEY", "k")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    args = build_parser().parse_args(["enroll", "demo", "--from-env"])
    assert cli.cmd_enroll(args) == 0
    captured = capsys.readouterr()
    assert "pulling the image" in captured.err and "pulling the image (60 %)" in captured.err
    assert "Practice network: enrolled, waiting for work" in captured.out
    assert steps == []
