"""``rigpilot enroll`` never takes a secret from argv; prompts and --from-env instead."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.cli.networks import collect_credentials

FIELDS: list[dict[str, Any]] = [
    {"name": "api_key", "secret": True, "required": True, "label": "API key", "how_to_obtain": "x"},
    {"name": "key_file", "secret": False, "required": False, "how_to_obtain": "y"},
]


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
    """Stands in for desktop.ipc.client.WorkerClient; records what was asked."""

    sent: list[tuple[str, str, Any]] = []

    def __enter__(self) -> StubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def networks(self) -> dict[str, Any]:
        return {
            "networks": [
                {
                    "network": "demo",
                    "state": "busy",
                    "enrolled": True,
                    "next_step": "",
                    "earnings_today": {"gross_usd": "0.42", "net_usd": "0.31"},
                    "reputation": {"score": 71.4},
                    "credential_fields": FIELDS,
                }
            ]
        }

    def earnings(self, days: int) -> dict[str, Any]:
        return {
            "days": [
                {
                    "date": "2026-03-01",
                    "network": "demo",
                    "gross_usd": "0.42",
                    "energy_kwh": "0.2",
                    "electricity_cost": "0.11",
                    "net_usd": "0.31",
                }
            ],
            "totals": {
                "gross_usd": "0.42",
                "energy_kwh": "0.2",
                "electricity_cost": "0.11",
                "net_usd": "0.31",
            },
            "tariff": {"price_per_kwh": "0.40", "system_overhead_w": "60"},
        }

    def request(self, method: str, path: str, json: Any = None, **kw: Any) -> dict[str, Any]:
        self.sent.append((method, path, json))
        return {
            "status": {"display_name": "Practice network", "state": "idle"},
            "action_required": {"message": "Run it once.", "command": "docker run x"},
        }


def test_commands_print_tables_and_enroll_posts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli import build_parser
    from desktop.cli import networks as cli

    monkeypatch.setattr(cli.WorkerClient, "from_env", classmethod(lambda cls: StubClient()))
    parser = build_parser()
    assert cli.cmd_networks(parser.parse_args(["networks"])) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "$0.4200 / $0.3100" in out and "71/100" in out
    assert cli.cmd_earnings(parser.parse_args(["earnings", "--days", "3"])) == 0
    out = capsys.readouterr().out
    assert "ELECTRICITY" in out and "$0.3100" in out and "0.40 USD per kWh" in out
    monkeypatch.setenv("RIGPILOT_DEMO_API_KEY", "from-env")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.cmd_enroll(parser.parse_args(["enroll", "demo", "--from-env"])) == 0
    assert StubClient.sent[-1] == (
        "POST",
        "/networks/demo/enroll",
        {"credentials": {"api_key": "from-env"}},
    )
    out = capsys.readouterr().out
    assert "Run it once." in out and "docker run x" in out
    assert cli.cmd_enroll(parser.parse_args(["enroll", "salad"])) == 2
