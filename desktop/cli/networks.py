"""``rigpilot networks``, ``rigpilot enroll NAME``, ``rigpilot earnings``: the worker's networks.

All three are typed clients of the worker's API (desktop.ipc.client); a network's state
and the money are written by ``desktop.views``, in the very words of the app's Networks
page. ``enroll`` never takes a secret from the command line, where the process list and
the shell history would keep it: secret fields are asked with a hidden prompt, or read
from ``RIGPILOT_<NETWORK>_<FIELD>`` with ``--from-env`` (for scripts and headless rigs).
An enrollment that goes on in the background (pulling an image) is followed to its end.
Every command has ``--json``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from desktop import clock
from desktop.cli._table import table, wrap
from desktop.cli.status import print_json
from desktop.ipc import endpoints
from desktop.ipc.client import WorkerClient
from desktop.ipc.protocol import IpcError
from desktop.ipc.schema import MoneyFigures, OperationState
from desktop.ipc.schema_data import EarningsAnswer, EarningsQuery
from desktop.ipc.schema_networks import (
    CredentialField,
    EnrollRequest,
    NetworkChange,
    NetworkRecord,
    NetworkRef,
    NetworksAnswer,
    OperationRef,
)
from desktop.views import money
from desktop.views.states import network_words
from desktop.views.text import DASH

ORDER = 30
MAX_DAYS = 365


def register(subparsers: Any) -> None:
    networks = subparsers.add_parser("networks", help="list the networks, their state and earnings")
    networks.add_argument("--json", action="store_true", help="print the API's JSON answer")
    networks.set_defaults(handler=cmd_networks)

    enroll = subparsers.add_parser(
        "enroll",
        help="enroll this GPU with a network",
        description="Enroll with a network. Secret fields are asked with a hidden prompt "
        "(or read from RIGPILOT_<NETWORK>_<FIELD> with --from-env), never from arguments.",
    )
    enroll.add_argument("network", metavar="NAME", help="network id, e.g. demo or nosana")
    enroll.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a non-secret field, e.g. --field key_file=~/.nosana/nosana_key.json",
    )
    enroll.add_argument(
        "--from-env",
        action="store_true",
        help="read secret fields from RIGPILOT_<NETWORK>_<FIELD> environment variables",
    )
    enroll.add_argument("--json", action="store_true", help="print the API's JSON answer")
    enroll.set_defaults(handler=cmd_enroll)

    earnings = subparsers.add_parser(
        "earnings", help="gross and net (after electricity) earnings per day and network"
    )
    earnings.add_argument("--days", type=_days, default=7, help="days to show (1-365, default 7)")
    earnings.add_argument("--json", action="store_true", help="print the API's JSON answer")
    earnings.set_defaults(handler=cmd_earnings)


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days must be between 1 and {MAX_DAYS}, not {value}")
    return value


T = TypeVar("T")
OPERATION_POLL_S = 1.0
OPERATION_WAIT_S = 600.0


def _call(action: Callable[[WorkerClient], T]) -> T | None:
    """Run one API exchange; print the worker's or the connection's message on failure."""
    try:
        with WorkerClient.from_env() as client:
            return action(client)
    except IpcError as exc:
        print(f"rigpilot: {exc.message}", file=sys.stderr)
        return None


def _reputation(network: NetworkRecord) -> str:
    score = network.reputation.score if network.reputation is not None else None
    return DASH if score is None else f"{score:.0f}/100"


def _uptime(network: NetworkRecord) -> str:
    """Uptime over 30 days from the worker's own status history (the network's own
    figure, when it reports one, is in ``--json`` under reputation)."""
    uptime = network.uptime_pct
    if uptime is None and network.reputation is not None:
        uptime = network.reputation.uptime_pct
    return DASH if uptime is None else f"{uptime:.0f}%"


def _today(network: NetworkRecord, decimals: int) -> str:
    if not network.enrolled:
        return DASH
    today = network.earnings_today
    gross = money.amount(today.gross_usd, decimals=decimals)
    if today.net_usd is None:
        return gross
    return f"{gross} / {money.amount(today.net_usd, decimals=decimals)}"


# --- networks ---------------------------------------------------------------------


def networks_text(answer: NetworksAnswer, width: int | None = None) -> str:
    """The ``rigpilot networks`` table, then each network's next step in full."""
    networks = answer.networks
    if not networks:
        return "This worker knows no network."
    now = clock.now()
    decimals = money.decimals_for(
        [a for n in networks for a in (n.earnings_today.gross_usd, n.earnings_today.net_usd)]
    )
    rows = [
        [
            n.network,
            n.display_name,
            network_words(n.state, n.enrolled, n.held, n.operation, now).text,
            _today(n, decimals),
            _reputation(n),
            _uptime(n),
        ]
        for n in networks
    ]
    headers = ["NETWORK", "NAME", "STATE", "TODAY GROSS / NET", "REPUTATION", "UPTIME"]
    lines = [table(headers, rows, width=width, shrink=[1], right={4, 5})]
    steps = [(n.network, n.next_step) for n in networks if n.next_step]
    if steps:
        lines += ["", "Next steps:"]
        lines += [wrap(f"{name}: {step}", width, indent="  ") for name, step in steps]
    return "\n".join(lines)


def cmd_networks(args: argparse.Namespace) -> int:
    answer = _call(lambda c: c.call(endpoints.NETWORKS))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    print(networks_text(answer))
    return 0


# --- enroll -----------------------------------------------------------------------


def _env_name(network: str, field: str) -> str:
    return f"RIGPILOT_{network}_{field}".upper().replace("-", "_")


def collect_credentials(
    network: str,
    fields: list[CredentialField],
    given: list[str],
    from_env: bool,
    interactive: bool,
    ask_secret: Callable[[str], str] = getpass.getpass,
    ask: Callable[[str], str] = input,
) -> dict[str, str]:
    """The credentials to send, or ValueError with the sentence to show."""
    schema = {f.name: f for f in fields}
    creds: dict[str, str] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--field needs NAME=VALUE, got {item!r}")
        if name not in schema:
            raise ValueError(
                f"{network} has no field {name!r}; its fields: {', '.join(schema) or 'none'}"
            )
        if schema[name].secret:
            raise ValueError(
                f"{name} is a secret: it is never taken from the command line (the process list "
                f"and shell history would keep it). Leave it out to be asked, or set "
                f"{_env_name(network, name)} and use --from-env."
            )
        creds[name] = value
    for name, spec in schema.items():
        if name in creds:
            continue
        label = spec.label or name
        if spec.secret and from_env:
            value = os.environ.get(_env_name(network, name), "")
        elif interactive:
            print(f"{label}: {spec.how_to_obtain}", file=sys.stderr)
            prompt = f"{label}{'' if spec.required else ' (Enter to skip)'}: "
            value = (ask_secret if spec.secret else ask)(prompt)
        else:
            value = ""
        if value:
            creds[name] = value
        elif spec.required:
            hint = (
                f"set {_env_name(network, name)} and use --from-env"
                if spec.secret
                else (f"give --field {name}=VALUE")
            )
            raise ValueError(f"{network} needs {label}: {hint}. {spec.how_to_obtain}")
    return creds


def cmd_enroll(args: argparse.Namespace) -> int:
    network = args.network.strip().lower()
    listing = _call(lambda c: c.call(endpoints.NETWORKS))
    if listing is None:
        return 1
    known = {n.network: n for n in listing.networks}
    if network not in known:
        print(
            f"rigpilot: unknown network {network!r}; known: {', '.join(sorted(known))}",
            file=sys.stderr,
        )
        return 2
    try:
        creds = collect_credentials(
            network,
            known[network].credential_fields,
            args.field,
            args.from_env,
            interactive=sys.stdin.isatty() and not args.json,
        )
    except ValueError as exc:
        print(f"rigpilot: {exc}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nrigpilot: enrollment cancelled", file=sys.stderr)
        return 130
    request = EnrollRequest(network=network, credentials=creds)
    answer = _call(lambda c: _follow(c, c.call(endpoints.ENROLL, request), args.json))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    words = network_words(
        answer.status.state, answer.status.enrolled, answer.status.held, None, clock.now()
    )
    print(f"{answer.status.display_name}: enrolled, {words.text.lower()}")
    action = answer.action_required
    if action is not None:
        print(f"\nNext step: {action.message}")
        if action.command:
            print(f"\n{action.command}\n")
        if action.url:
            print(f"More: {action.url}")
    return 0


def _follow(client: WorkerClient, change: NetworkChange, quiet: bool) -> NetworkChange:
    """Wait for an enrollment that goes on in the background, printing its progress."""
    operation = change.operation
    deadline = time.monotonic() + OPERATION_WAIT_S
    said = ""
    while operation is not None and operation.state is OperationState.RUNNING:
        if operation.message != said and not quiet:
            said = operation.message
            print(f"{change.status.display_name}: {said}", file=sys.stderr, flush=True)
        if time.monotonic() > deadline:
            raise IpcError(
                f"{change.status.display_name} is still enrolling after "
                f"{OPERATION_WAIT_S:.0f} s; `rigpilot networks` shows when it is done"
            )
        time.sleep(OPERATION_POLL_S)
        ref = OperationRef(id=operation.id)
        operation = client.call(endpoints.OPERATION, ref).operation
    if operation is not None and operation.state is OperationState.FAILED:
        raise IpcError(f"{change.status.display_name}: {operation.message}")
    if operation is change.operation:
        return change
    record = client.call(endpoints.NETWORK, NetworkRef(network=change.status.network)).network
    return NetworkChange(status=record, action_required=change.action_required)


# --- earnings ---------------------------------------------------------------------


def earnings_text(answer: EarningsAnswer, width: int | None = None) -> str:
    """The ``rigpilot earnings`` table: per day and network, then the total."""
    tariff, days, totals = answer.tariff, answer.days, answer.totals
    currency = tariff.currency or "USD"
    decimals = money.decimals_for(
        [a for d in [*days, totals] for a in (d.gross_usd, d.electricity_cost, d.net_usd)]
    )

    def row(date: str, network: str, paid: str, values: MoneyFigures) -> list[str]:
        return [
            date,
            network,
            paid,
            money.amount(values.gross_usd, decimals=decimals),
            f"{values.energy_kwh:.3f}",
            money.amount(values.electricity_cost, currency, decimals),
            money.amount(values.net_usd, decimals=decimals),
        ]

    rows = [
        row(
            d.date,
            d.network,
            ", ".join(f"{a} {u}" for u, a in d.unit_amounts.items()),
            d,
        )
        for d in days
    ]
    rows.append(row("total", "", "", totals))
    headers = ["DATE", "NETWORK", "PAID", "GROSS", "KWH", "ELECTRICITY", "NET"]
    lines = [table(headers, rows, width=width, shrink=[2], right={2, 3, 4, 5, 6})]
    if not days:
        lines.append("\nNothing earned in this period yet.")
    text = (
        f"Electricity: {tariff.price_per_kwh} {currency} per kWh, for the GPU's "
        f"energy plus {tariff.system_overhead_w} W for the rest of the computer "
        "while a network runs (`rigpilot settings` changes both)."
    )
    lines += ["", wrap(text, width, hang="")]
    if totals.net_usd is None and days:
        lines.append("Net is left out: the electricity price is not in USD.")
    return "\n".join(lines)


def cmd_earnings(args: argparse.Namespace) -> int:
    query = EarningsQuery(days=args.days)
    answer = _call(lambda c: c.call(endpoints.EARNINGS, query))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    print(earnings_text(answer))
    return 0
