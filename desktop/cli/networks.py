"""``rigpilot networks`` and ``rigpilot earnings``: the worker's networks and their money.

Both are typed clients of the worker's API (desktop.ipc.client); a network's state and the
money are written by ``desktop.views``, in the very words of the app's Networks page.
``rigpilot networks`` lists the networks RigPilot can join or watch; ``--all`` adds the
ones it only lists (desktop/networks/listed.py), each with why RigPilot cannot join this
computer to it, what to do instead and the source. Every command has ``--json``.
Enrolling is ``desktop/cli/enroll.py``.
"""

from __future__ import annotations

import argparse
from typing import Any

from desktop import clock
from desktop.cli._calls import call_worker, days_arg
from desktop.cli._rig import add_rig_option
from desktop.cli._table import table, wrap
from desktop.cli.money import cmd_csv, cmd_history
from desktop.cli.status import print_json
from desktop.ipc import endpoints
from desktop.ipc.schema import MoneyFigures
from desktop.ipc.schema_data import EarningsAnswer, EarningsQuery
from desktop.ipc.schema_networks import (
    NetworkRecord,
    NetworksAnswer,
)
from desktop.views import money
from desktop.views.listing import LISTED_WORDS, listed_only, not_joinable
from desktop.views.states import network_words
from desktop.views.text import DASH

ORDER = 30


def register(subparsers: Any) -> None:
    networks = subparsers.add_parser("networks", help="list the networks, their state and earnings")
    networks.add_argument(
        "--all",
        action="store_true",
        help="also list the networks RigPilot cannot join this computer to, and why",
    )
    networks.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(networks)
    networks.add_argument(
        "--history", action="store_true", help="uptime, utilisation and reputation per day"
    )
    networks.add_argument("--days", type=days_arg, default=30, help="with --history (default 30)")
    networks.set_defaults(handler=cmd_networks)

    earnings = subparsers.add_parser(
        "earnings", help="gross and net (after electricity) earnings per day and network"
    )
    earnings.add_argument("--days", type=days_arg, default=7, help="days to show (default 7)")
    earnings.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(earnings)
    earnings.add_argument(
        "--csv", action="store_true", help="every earning and day's electricity as CSV"
    )
    earnings.set_defaults(handler=cmd_earnings)


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


def _today(network: NetworkRecord) -> str:
    if not network.enrolled:
        return DASH
    return money.gross_slash_net(network.earnings_today)


# --- networks ---------------------------------------------------------------------


def networks_text(
    answer: NetworksAnswer, width: int | None = None, *, show_all: bool = False
) -> str:
    """The ``rigpilot networks`` table, then each network's next step in full; with
    ``show_all``, the listed-only networks too, each with why and what to do instead."""
    shown = [n for n in answer.networks if show_all or not listed_only(n.capabilities)]
    hidden = [n for n in answer.networks if n not in shown]
    text = _table_text(shown, width)
    if hidden:
        names = ", ".join(n.display_name or n.network for n in hidden)
        note = (
            f"Listed, not joinable through RigPilot: {names} "
            "(`rigpilot networks --all` says why and what to do instead)."
        )
        text += "\n\n" + wrap(note, width, hang="")
    return text


def _state_text(n: NetworkRecord, now: float) -> str:
    if listed_only(n.capabilities):
        return LISTED_WORDS.text
    return network_words(n.state, n.enrolled, n.held, n.operation, now).text


def _table_text(networks: list[NetworkRecord], width: int | None) -> str:
    if not networks:
        return "This worker knows no network."
    now = clock.now()
    rows = [
        [
            n.network,
            n.display_name,
            _state_text(n, now),
            _today(n),
            _reputation(n),
            _uptime(n),
        ]
        for n in networks
    ]
    headers = ["NETWORK", "NAME", "STATE", "TODAY GROSS / NET", "REPUTATION", "UPTIME"]
    lines = [table(headers, rows, width=width, shrink=[1], right={4, 5})]
    joinable = [n for n in networks if not listed_only(n.capabilities)]
    steps = [(n.network, n.next_step) for n in joinable if n.next_step]
    if steps:
        lines += ["", "Next steps:"]
        lines += [wrap(f"{name}: {step}", width, indent="  ") for name, step in steps]
    reasons = [(n, not_joinable(n.capabilities, n.requirements)) for n in networks]
    listed = [(n, why) for n, why in reasons if why is not None]
    if listed:
        lines += ["", "Not joinable through RigPilot (what each needs, why not, instead):"]
        for n, why in listed:
            source = f"Source: {why.source}" + (f"; {why.url}" if why.url else "")
            lines.append(wrap(f"{n.network}: {n.description}", width, indent="  "))
            for text in (f"Why not: {why.why}", f"Instead: {why.instead}", source):
                lines.append(wrap(text, width, indent="    ", hang="  "))
    return "\n".join(lines)


def cmd_networks(args: argparse.Namespace) -> int:
    if args.history:
        return cmd_history(args)
    answer = call_worker(args, lambda c: c.call(endpoints.NETWORKS))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    print(networks_text(answer, show_all=args.all))
    return 0


# --- earnings ---------------------------------------------------------------------


def earnings_text(answer: EarningsAnswer, width: int | None = None) -> str:
    """The ``rigpilot earnings`` table: per day and network, then the totals, all in the
    user's currency (practice money in practice dollars, apart from the real total)."""
    tariff, days, totals = answer.tariff, answer.days, answer.totals
    currency = tariff.currency or "USD"
    figures: list[MoneyFigures] = [*days, totals]
    decimals = money.decimals_for(
        [a for f in figures for a in (f.gross, f.electricity, f.net, f.gross_now)]
    )

    def cell(value: object, figures: MoneyFigures) -> str:
        return money.amount(value, figures.currency, decimals)  # type: ignore[arg-type]

    def row(date: str, network: str, paid: str, values: MoneyFigures) -> list[str]:
        gross = cell(values.gross, values)
        if values.unpriced:
            extra = money.unpriced(values.unpriced)
            gross = extra if not values.gross else f"{gross} + {extra}"
        return [
            date,
            network,
            paid,
            gross,
            money.amount(values.gross_now, values.currency, decimals),
            f"{values.energy_kwh:.3f}",
            cell(values.electricity, values),
            cell(values.net, values),
        ]

    rows = [
        row(
            d.date,
            d.network,
            ", ".join(money.native(a, u) for u, a in d.unit_amounts.items()),
            d,
        )
        for d in days
    ]
    rows.append(row("total", "", "", totals))
    if totals.practice is not None:
        rows.append(row("practice", "", "", totals.practice))
    headers = ["DATE", "NETWORK", "PAID", "GROSS", "WORTH NOW", "KWH", "ELECTRICITY", "NET"]
    lines = [table(headers, rows, width=width, shrink=[2], right={3, 4, 5, 6, 7})]
    if not days:
        lines.append("\nNothing earned in this period yet.")
    text = (
        f"All figures in {currency} (`rigpilot settings set electricity.currency EUR` "
        f"changes it). Electricity: {tariff.price_per_kwh} {currency} per kWh, for the "
        f"GPU's energy plus {tariff.system_overhead_w} W for the rest of the computer while "
        "a network runs. GROSS is the pay valued when it was earned; WORTH NOW, at "
        "today's rates."
    )
    lines += ["", wrap(text, width, hang="")]
    for rate in answer.rates:
        lines.append(wrap("Rate: " + money.rate_line(rate), width, hang="  "))
    if totals.practice is not None:
        lines.append("Practice money is play money: it is in no real total.")
    return "\n".join(lines)


def cmd_earnings(args: argparse.Namespace) -> int:
    if args.csv:
        return cmd_csv(args)
    query = EarningsQuery(days=args.days)
    answer = call_worker(args, lambda c: c.call(endpoints.EARNINGS, query))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    print(earnings_text(answer))
    return 0
