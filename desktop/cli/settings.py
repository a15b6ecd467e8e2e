"""``rigpilot settings``: read and change the settings on a headless rig, through the worker.

The worker owns the settings, so ``set`` goes through ``PATCH /settings`` and is refused
with the very message the app shows ("thermal.pause_limit_c must be a number from 55 to
100 °C (got 'hot')"), the allowed range, and exit code 2; the old settings stay in force.
``settings schema`` needs no worker: it prints what each key accepts.

Exit codes: 0 done, 1 failed, 2 refused (bad key or value), 3 the worker is not running.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from desktop.cli._rig import add_rig_option, worker_client
from desktop.ipc import endpoints
from desktop.ipc.endpoints import Endpoint
from desktop.ipc.protocol import ApiError, IpcError
from desktop.ipc.schema import Answer
from desktop.settings import FIELDS, SettingsError, parse_cli_value, schema_json

ORDER = 40
EXIT_FAILED, EXIT_REFUSED, EXIT_NOT_RUNNING = 1, 2, 3


Q = TypeVar("Q")
A = TypeVar("A", bound=Answer)


class Client(Protocol):
    """What these commands use of ``desktop.ipc.client.WorkerClient``."""

    def call(self, endpoint: Endpoint[Q, A], request: Q | None = None) -> A: ...

    def close(self) -> None: ...


ClientFactory = Callable[[], Client]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "settings",
        help="show or change the settings (thermal limits, games, schedule, price...)",
        description="Show the settings in force, change one with `rigpilot settings set KEY "
        "VALUE`, or list what each key accepts with `rigpilot settings schema`.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_rig_option(p)
    p.set_defaults(handler=cmd_show)
    sub = p.add_subparsers(dest="settings_command", metavar="ACTION")
    s = sub.add_parser(
        "set",
        help="change one setting",
        description="Change one setting through the worker. VALUE is a number, true/false, "
        "null (derive from the card), a name, or JSON for lists, e.g. "
        'schedule.windows \'[{"days": [0,1,2,3,4], "start": "22:00", "end": "07:00"}]\'.',
    )
    s.add_argument("key", metavar="KEY", help="a setting key, e.g. thermal.pause_limit_c")
    s.add_argument("value", metavar="VALUE", help="the new value")
    s.add_argument("--json", action="store_true", help="print the API's answer as JSON")
    add_rig_option(s)
    s.set_defaults(handler=cmd_set)
    g = sub.add_parser("get", help="print one setting's value")
    g.add_argument("key", metavar="KEY")
    g.add_argument("--json", action="store_true", help="print the value as JSON")
    add_rig_option(g)
    g.set_defaults(handler=cmd_get)
    c = sub.add_parser("schema", help="what each setting accepts (no worker needed)")
    c.add_argument("--json", action="store_true", help="print the schema as JSON")
    c.set_defaults(handler=cmd_schema)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _with_unit(key: str, value: Any) -> str:
    field = FIELDS.get(key)
    if value is None and field is not None and field.null_means:
        return f"null ({field.null_means.removeprefix('to ').removeprefix('for ')})"
    unit = field.unit if field is not None and isinstance(value, int | float) else ""
    return (
        f"{_show(value)} {unit}".rstrip() if unit and not isinstance(value, bool) else _show(value)
    )


def render(settings: Mapping[str, Any]) -> str:
    width = max((len(k) for k in settings), default=0)
    return "\n".join(f"{k.ljust(width)}  {_with_unit(k, v)}" for k, v in settings.items())


def _run(
    args: argparse.Namespace, action: Callable[[Client], int], factory: ClientFactory | None
) -> int:
    """One exchange with the worker; every failure becomes a sentence and an exit code."""
    from desktop.ipc.client import WorkerNotRunning

    client = factory() if factory is not None else worker_client(args)
    try:
        return action(client)
    except ApiError as exc:
        refused = exc.code == "invalid_setting"
        _error(args, exc.code, exc.message, exc.field if refused else None, exc.allowed)
        return EXIT_REFUSED if refused else EXIT_FAILED
    except IpcError as exc:
        not_running = isinstance(exc, WorkerNotRunning)
        _error(args, "not_running" if not_running else "unreachable", exc.message)
        return EXIT_NOT_RUNNING if not_running else EXIT_FAILED
    finally:
        client.close()


def _error(
    args: argparse.Namespace, code: str, message: str, field: str | None = None, allowed: Any = None
) -> None:
    if getattr(args, "json", False):
        error: dict[str, Any] = {"code": code, "message": message}
        if field:
            error.update(field=field, allowed=allowed)
        print(json.dumps({"error": error}, indent=2, ensure_ascii=False))
        return
    print(f"rigpilot: {message}", file=sys.stderr)
    if allowed and field:
        print(f"  allowed: {allowed}", file=sys.stderr)
    if field:
        print("  nothing was changed; the previous settings stay in force", file=sys.stderr)


def cmd_show(args: argparse.Namespace, factory: ClientFactory | None = None) -> int:
    def action(client: Client) -> int:
        answer = client.call(endpoints.SETTINGS)
        settings = answer.settings
        if args.json:
            print(json.dumps(settings, indent=2, ensure_ascii=False))
        else:
            print(render(settings))
            for warning in answer.warnings:  # a damaged file: which, and why
                print(f"rigpilot: settings: {warning}", file=sys.stderr)
        return 0

    return _run(args, action, factory)


def cmd_get(args: argparse.Namespace, factory: ClientFactory | None = None) -> int:
    if args.key not in FIELDS:
        from desktop.settings import unknown_key_error

        message = unknown_key_error(args.key).message
        _error(args, "invalid_setting", f"{message} (`rigpilot settings schema` lists them)")
        return EXIT_REFUSED

    def action(client: Client) -> int:
        settings = client.call(endpoints.SETTINGS).settings
        if args.key not in settings:  # a worker older than this program's settings
            _error(args, "invalid_setting", f"the worker does not know {args.key}")
            return EXIT_REFUSED
        value = settings[args.key]
        print(json.dumps(value, ensure_ascii=False) if args.json else _with_unit(args.key, value))
        return 0

    return _run(args, action, factory)


def cmd_set(args: argparse.Namespace, factory: ClientFactory | None = None) -> int:
    try:
        value = parse_cli_value(args.key, args.value)
    except SettingsError as exc:  # an unknown key: no need to ask the worker
        _error(args, "invalid_setting", f"{exc.message} (`rigpilot settings schema` lists them)")
        return EXIT_REFUSED

    def action(client: Client) -> int:
        answer = client.call(endpoints.PATCH_SETTINGS, {args.key: value})
        if args.json:
            from desktop.ipc.codec import to_builtins

            print(json.dumps(to_builtins(answer), indent=2, ensure_ascii=False))
            return 0
        now = answer.settings[args.key]  # every key, always (SettingsAnswer)
        note = "applied" if args.key in answer.applied else "unchanged: it already had this value"
        print(f"{args.key} = {_with_unit(args.key, now)} ({note})")
        return 0

    return _run(args, action, factory)


def cmd_schema(args: argparse.Namespace) -> int:
    schema = schema_json()
    if args.json:
        print(json.dumps(schema, indent=2, ensure_ascii=False))
        return 0
    for key, spec in schema.items():
        default = _with_unit(key, spec["default"])
        print(f"{key}\n  {spec['help']}\n  accepts {spec['allowed']}; default {default}")
    return 0
