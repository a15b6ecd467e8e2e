"""`rigpilot settings [set|get|schema]`: the worker's refusals, word for word, and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from desktop.cli import build_parser
from desktop.cli import settings as cli
from desktop.ipc import endpoints
from desktop.ipc.client import WorkerNotRunning
from desktop.ipc.protocol import ApiError
from desktop.ipc.schema_data import SettingsAnswer, SettingsPatched
from desktop.settings import SettingsError, SettingsStore, schema_json


class StoreClient:
    """The worker's settings endpoints over a real SettingsStore (what the controller does),
    answering typed objects like ``WorkerClient.call``."""

    def __init__(self, path: Path) -> None:
        self.store = SettingsStore(path)
        self.closed = False

    def call(self, endpoint: Any, request: Any = None) -> Any:
        if endpoint is endpoints.SETTINGS:
            values = {"settings": self.store.current.to_json(), "schema": schema_json()}
            return msgspec.convert({**values, "warnings": []}, SettingsAnswer)
        assert endpoint is endpoints.PATCH_SETTINGS
        before = self.store.current
        try:
            after = self.store.patch(request or {})
        except SettingsError as exc:
            raise ApiError("invalid_setting", exc.message, 422, exc.field, exc.allowed) from None
        return SettingsPatched(settings=after.to_json(), applied=before.diff(after))

    def close(self) -> None:
        self.closed = True


def run(argv: list[str], client: Any) -> int:
    args = build_parser().parse_args(["settings", *argv])
    if args.handler is cli.cmd_schema:
        return int(args.handler(args))
    return int(args.handler(args, lambda: client))


@pytest.fixture
def client(tmp_path: Path) -> StoreClient:
    return StoreClient(tmp_path / "settings.json")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("thermal.pause_limit_c", "hot", "must be a number from 55 to 100 °C"),
        ("electricity.price_per_kwh", "-0.5", "(got -0.5)"),
        (
            "schedule.windows",
            '[{"days":[2],"start":"08:00","end":"12:00"},{"days":[2],"start":"11:30","end":"13:00"}]',
            "schedule windows 1 and 2 overlap on Wednesday at 11:30",
        ),
        ("thermal.resume_limit_c", "84", "more than 5 °C below thermal.pause_limit_c (85 °C)"),
    ],
)
def test_refusals_exit_2_and_keep_the_old_settings(
    client: StoreClient, capsys: pytest.CaptureFixture[str], key: str, value: str, message: str
) -> None:
    assert run(["set", "thermal.pause_limit_c", "85"], client) == 0
    before = client.store.current
    assert run(["set", key, value], client) == 2
    err = capsys.readouterr().err
    assert message in err and "allowed:" in err and "previous settings stay in force" in err
    assert client.store.current == before and client.closed


def test_set_reports_what_the_worker_applied(
    client: StoreClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["set", "gaming.games", "witcher3.exe, eldenring.exe"], client) == 0
    out = capsys.readouterr().out
    assert 'gaming.games = ["witcher3.exe", "eldenring.exe"] (applied)' in out
    assert run(["set", "gaming.games", '["witcher3.exe","eldenring.exe"]'], client) == 0
    assert "(unchanged" in capsys.readouterr().out
    assert run(["set", "thermal.pause_limit_c", "auto"], client) == 0
    assert "null (derive it from the card)" in capsys.readouterr().out


def test_json_output(client: StoreClient, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["set", "electricity.price_per_kwh", "9", "--json"], client) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["field"] == "electricity.price_per_kwh"
    assert error["allowed"] == "a number from 0 to 5 per kWh"
    assert run(["--json"], client) == 0
    assert json.loads(capsys.readouterr().out)["electricity.currency"] == "USD"
    assert run(["get", "sampling.interval_s", "--json"], client) == 0
    assert capsys.readouterr().out.strip() == "1"  # once a second by default (issue 18)


def test_show_is_a_readable_table(client: StoreClient, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([], client) == 0
    out = capsys.readouterr().out
    assert "thermal.cooldown_s" in out and "120 s" in out and "gaming.enabled" in out


def test_unknown_key_is_refused_without_a_worker(capsys: pytest.CaptureFixture[str]) -> None:
    def no_worker() -> Any:
        raise AssertionError("the worker must not be asked")

    args = build_parser().parse_args(["settings", "set", "thermal.pause_limt_c", "80"])
    assert cli.cmd_set(args, no_worker) == 2
    err = capsys.readouterr().err
    assert "did you mean 'thermal.pause_limit_c'?" in err and "settings schema" in err


def test_worker_not_running_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    class Down:
        def call(self, *a: Any, **k: Any) -> Any:
            raise WorkerNotRunning()

        def close(self) -> None:
            pass

    assert run([], Down()) == 3
    assert "rigpilot worker --detach" in capsys.readouterr().err


def test_schema_needs_no_worker(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "--json"], None) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["thermal.pause_limit_c"]["max"] == 100
    assert run(["schema"], None) == 0
    assert "accepts a number from 0 to 5 per kWh" in capsys.readouterr().out
