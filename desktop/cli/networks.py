"""``rigpilot networks``, ``rigpilot enroll NAME``, ``rigpilot earnings``: the worker's networks.

All three are clients of the worker's API (desktop.ipc.client). ``enroll`` never takes a
secret from the command line, where the process list and the shell history would keep it:
secret fields are asked with a hidden prompt, or read from ``RIGPILOT_<NETWORK>_<FIELD>``
with ``--from-env`` (for scripts and headless rigs). Every command has ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from desktop.cli._args import ascii_int, network_id
from desktop.cli._credentials import collect_credentials, piped_secret
from desktop.cli._table import money, money_decimals, table, wrap
from desktop.ipc.client import WorkerClient
from desktop.ipc.protocol import IpcError

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
    enroll.add_argument(
        "network", metavar="NAME", type=network_id, help="network id, e.g. demo or nosana"
    )
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
    enroll.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the network's secret field from standard input (a key piped in)",
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
    value = ascii_int(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days")
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days must be between 1 and {MAX_DAYS}, not {value}")
    return value


def _call(action: Callable[[WorkerClient], dict[str, Any]]) -> dict[str, Any] | None:
    """Run one API exchange; print the worker's or the connection's message on failure."""
    try:
        with WorkerClient.from_env() as client:
            return action(client)
    except IpcError as exc:
        print(f"rigpilot: {exc.message}", file=sys.stderr)
        return None


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def _reputation(network: dict[str, Any]) -> str:
    score = (network.get("reputation") or {}).get("score")
    return "-" if score is None else f"{float(score):.0f}/100"


def _uptime(network: dict[str, Any]) -> str:
    """Uptime over 30 days from the worker's own status history (the network's own
    figure, when it reports one, is in ``--json`` under reputation)."""
    uptime = network.get("uptime_pct")
    if uptime is None:
        uptime = (network.get("reputation") or {}).get("uptime_pct")
    return "-" if uptime is None else f"{float(uptime):.0f}%"


def _today(network: dict[str, Any], decimals: int) -> str:
    if not network.get("enrolled"):
        return "-"
    today = network.get("earnings_today") or {}
    gross, net = money(today.get("gross_usd"), decimals=decimals), today.get("net_usd")
    return f"{gross} / {money(net, decimals=decimals)}" if net is not None else gross


# --- networks ---------------------------------------------------------------------


def networks_text(answer: dict[str, Any], width: int | None = None) -> str:
    """The ``rigpilot networks`` table, then each network's next step in full."""
    networks = list(answer.get("networks", []))
    if not networks:
        return "This worker knows no network."
    amounts = [
        (n.get("earnings_today") or {}).get(k) for n in networks for k in ("gross_usd", "net_usd")
    ]
    decimals = money_decimals(amounts)
    rows = [
        [
            str(n.get("network", "?")),
            str(n.get("display_name") or ""),
            str(n.get("state", "?")).replace("_", " "),
            _today(n, decimals),
            _reputation(n),
            _uptime(n),
        ]
        for n in networks
    ]
    headers = ["NETWORK", "NAME", "STATE", "TODAY GROSS / NET", "REPUTATION", "UPTIME"]
    lines = [table(headers, rows, width=width, shrink=[1], right={4, 5})]
    steps = [(n.get("network", "?"), n.get("next_step")) for n in networks if n.get("next_step")]
    if steps:
        lines += ["", "Next steps:"]
        lines += [wrap(f"{name}: {step}", width, indent="  ") for name, step in steps]
    return "\n".join(lines)


def cmd_networks(args: argparse.Namespace) -> int:
    answer = _call(lambda c: c.networks())
    if answer is None:
        return 1
    if args.json:
        _print_json(answer)
        return 0
    print(networks_text(answer))
    return 0


# --- enroll -----------------------------------------------------------------------


def cmd_enroll(args: argparse.Namespace) -> int:
    network = args.network
    listing = _call(lambda c: c.networks())
    if listing is None:
        return 1
    known = {n.get("network"): n for n in listing.get("networks", [])}
    if network not in known:
        print(
            f"rigpilot: unknown network {network!r}; known: {', '.join(sorted(known))}",
            file=sys.stderr,
        )
        return 2
    fields = known[network].get("credential_fields") or []
    try:
        supplied = piped_secret(network, fields, args.secret_stdin, sys.stdin)
        creds = collect_credentials(
            network,
            fields,
            args.field,
            args.from_env,
            interactive=sys.stdin.isatty() and not args.json and not args.secret_stdin,
            supplied=supplied,
        )
    except ValueError as exc:
        print(f"rigpilot: {exc}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nrigpilot: enrollment cancelled", file=sys.stderr)
        return 130
    answer = _call(
        lambda c: c.request(
            "POST", f"/networks/{network}/enroll", json={"credentials": creds}, timeout=60.0
        )
    )
    if answer is None:
        return 1
    if args.json:
        _print_json(answer)
        return 0
    status = answer.get("status") or {}
    print(f"{status.get('display_name', network)}: enrolled, {status.get('state', 'unknown')}")
    action = answer.get("action_required")
    if action:
        print(f"\nNext step: {action.get('message', '')}")
        if action.get("command"):
            print(f"\n{action['command']}\n")
        if action.get("url"):
            print(f"More: {action['url']}")
    return 0


# --- earnings ---------------------------------------------------------------------


def earnings_text(answer: dict[str, Any], width: int | None = None) -> str:
    """The ``rigpilot earnings`` table: per day and network, then the total."""
    tariff = answer.get("tariff") or {}
    currency = str(tariff.get("currency") or "USD")
    days = list(answer.get("days", []))
    totals = answer.get("totals") or {}
    keys = ("gross_usd", "electricity_cost", "net_usd")
    decimals = money_decimals([d.get(k) for d in [*days, totals] for k in keys])

    def row(date: str, network: str, paid: str, values: dict[str, Any]) -> list[str]:
        return [
            date,
            network,
            paid,
            money(values.get("gross_usd"), decimals=decimals),
            f"{float(values.get('energy_kwh') or 0):.3f}",
            money(values.get("electricity_cost"), currency, decimals),
            money(values.get("net_usd"), decimals=decimals),
        ]

    rows = [
        row(
            str(d.get("date", "")),
            str(d.get("network", "")),
            ", ".join(f"{a} {u}" for u, a in (d.get("unit_amounts") or {}).items()),
            d,
        )
        for d in days
    ]
    rows.append(row("total", "", "", totals))
    headers = ["DATE", "NETWORK", "PAID", "GROSS", "KWH", "ELECTRICITY", "NET"]
    lines = [table(headers, rows, width=width, shrink=[2], right={2, 3, 4, 5, 6})]
    if not days:
        lines.append("\nNothing earned in this period yet.")
    if tariff:
        text = (
            f"Electricity: {tariff.get('price_per_kwh')} {currency} per kWh, for the GPU's "
            f"energy plus {tariff.get('system_overhead_w')} W for the rest of the computer "
            "while a network runs (`rigpilot settings` changes both)."
        )
        lines += ["", wrap(text, width, hang="")]
    if totals.get("net_usd") is None and days:
        lines.append("Net is left out: the electricity price is not in USD.")
    return "\n".join(lines)


def cmd_earnings(args: argparse.Namespace) -> int:
    answer = _call(lambda c: c.earnings(days=args.days))
    if answer is None:
        return 1
    if args.json:
        _print_json(answer)
        return 0
    print(earnings_text(answer))
    return 0
