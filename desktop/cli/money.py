"""``rigpilot roi``, ``rigpilot estimate``, ``rigpilot wear``, and the history and CSV forms
of ``rigpilot networks --history`` and ``rigpilot earnings --csv``.

Typed clients of the worker's money endpoints (desktop/ipc/schema_money.py); the words
come from desktop.views.money, as in the app.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import defaultdict
from decimal import Decimal
from typing import Any

from desktop.cli._calls import call_worker
from desktop.cli._rig import add_rig_option
from desktop.cli._table import table, wrap
from desktop.cli.status import print_json
from desktop.ipc import endpoints
from desktop.ipc.client import WorkerClient
from desktop.ipc.protocol import ApiError
from desktop.ipc.schema_money import (
    EarningRowsQuery,
    EstimatesAnswer,
    EstimatesQuery,
    HistoryAnswer,
    HistoryQuery,
    RoiAnswer,
    RoiQuery,
    WearAnswer,
)
from desktop.views import money
from desktop.views.money_csv import earnings_csv
from desktop.views.text import DASH

ORDER = 31


def register(subparsers: Any) -> None:
    roi = subparsers.add_parser(
        "roi", help="payback date of the card, net of electricity (and a what-if)"
    )
    roi.add_argument(
        "--price-change",
        type=float,
        default=0.0,
        metavar="PCT",
        help="what if token prices moved by PCT %% (for example -30)",
    )
    roi.add_argument(
        "--electricity-price",
        type=float,
        metavar="PRICE",
        help="what if electricity cost PRICE per kWh",
    )
    roi.add_argument(
        "--card-cost",
        type=float,
        metavar="AMOUNT",
        help="what the card cost (default: setting roi.card_cost)",
    )
    roi.add_argument(
        "--resale",
        type=float,
        metavar="AMOUNT",
        help="what you could sell it for (default: setting roi.resale_value)",
    )
    roi.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(roi)
    roi.set_defaults(handler=cmd_roi)  # fmt: skip

    estimate = subparsers.add_parser(
        "estimate", help="what this card could earn per day on each network, before enrolling"
    )
    estimate.add_argument("--gpu", help="a GPU model such as 'RTX 3090' (default: this GPU)")
    estimate.add_argument("--utilisation", type=float, metavar="PCT",
                          help="share of the day with work (default: setting, 70 %%)")  # fmt: skip
    estimate.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(estimate)
    estimate.set_defaults(handler=cmd_estimate)

    wear = subparsers.add_parser("wear", help="each GPU's wear: hours hot, heat cycles, peaks")
    wear.add_argument("--json", action="store_true", help="print the API's JSON answer")
    add_rig_option(wear)
    wear.set_defaults(handler=cmd_wear)


# --- history ------------------------------------------------------------------------


def history_text(answer: HistoryAnswer, width: int | None = None) -> str:
    """Per day and network: net, uptime, utilisation; then reputation over time."""
    net: dict[tuple[str, str], str] = {}
    for d in answer.days:
        net[(d.date, d.network)] = money.amount(d.net, d.currency, 2)
    use = {(u.date, u.network): u for u in answer.use}
    keys = sorted(set(net) | set(use))
    rows = []
    for date, network in keys:
        u = use.get((date, network))
        rows.append(
            [
                date,
                network,
                net.get((date, network), DASH),
                DASH if u is None else f"{u.online_hours:.1f} h",
                DASH if u is None else f"{u.uptime_pct:.0f}%",
                DASH if u is None or u.utilisation_pct is None else f"{u.utilisation_pct:.0f}%",
            ]
        )
    headers = ["DATE", "NETWORK", "NET", "ONLINE", "UPTIME", "UTILISATION"]
    lines = [table(headers, rows, width=width, right={2, 3, 4, 5})]
    if not rows:
        lines.append("\nNo history in this period yet.")
    by_network: dict[str, list[str]] = defaultdict(list)
    for p in answer.reputation:
        when = dt.datetime.fromtimestamp(p.ts).strftime("%Y-%m-%d %H:%M")
        score = DASH if p.score is None else f"{p.score:.0f}/100"
        uptime = "" if p.uptime_pct is None else f", uptime {p.uptime_pct:.0f}%"
        by_network[p.network].append(f"{when} {score}{uptime}")
    for network, points in sorted(by_network.items()):
        lines += ["", f"Reputation of {network} over time:"]
        lines += [f"  {p}" for p in points[-30:]]
    lines += [
        "",
        wrap(
            "UTILISATION is hours earning ÷ hours online; UPTIME, hours online ÷ hours of "
            f"the day. Money in {answer.currency}.",
            width,
            hang="",
        ),
    ]
    return "\n".join(lines)


def cmd_history(args: argparse.Namespace) -> int:
    query = HistoryQuery(days=args.days)
    answer = call_worker(args, lambda c: c.call(endpoints.HISTORY, query))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    print(history_text(answer))
    return 0


def cmd_csv(args: argparse.Namespace) -> int:
    query = EarningRowsQuery(days=args.days)
    answer = call_worker(args, lambda c: c.call(endpoints.EARNING_ROWS, query))
    if answer is None:
        return 1
    sys.stdout.write(earnings_csv(answer))
    return 0


# --- ROI ----------------------------------------------------------------------------


def _factor_words(factor: Decimal) -> str:
    change = (factor - 1) * 100
    return "token prices as now" if not change else f"token prices {change:+.0f} %"


def roi_text(answer: RoiAnswer, width: int | None = None) -> str:
    cur = answer.currency
    places = money.decimals_for([answer.net_so_far, answer.gross_per_day])
    lines = [
        f"Earned net of electricity: {money.amount(answer.net_so_far, cur, places)} "
        f"({money.amount(answer.gross_so_far, cur, places)} gross, "
        f"{money.amount(answer.electricity_so_far, cur, places)} electricity)"
        + (f" since {answer.purchase_date}" if answer.purchase_date else ""),
        f"Recent rate ({answer.window_days} day{'s' if answer.window_days != 1 else ''}): "
        f"{money.amount(answer.gross_per_day, cur, places)} gross and "
        f"{money.amount(answer.electricity_per_day, cur, places)} electricity per day",
    ]
    if answer.unpriced:
        lines.append("Not counted (no rate yet): " + money.unpriced(answer.unpriced))
    if not answer.configured:
        lines += [
            "",
            wrap(
                "For a payback date, tell RigPilot what the card cost: "
                "`rigpilot settings set roi.card_cost 700` (and optionally roi.purchase_date, "
                "roi.resale_value or roi.depreciation_pct_per_year).",
                width,
                hang="",
            ),
        ]
        return "\n".join(lines)
    value = money.amount(answer.card_value_now, cur, 2)
    lines.append(
        f"Card: {money.amount(answer.card_cost, cur, 2)}, worth {value} now; "
        + (
            "paid back."
            if answer.to_recover is not None and answer.to_recover <= 0
            else f"{money.amount(answer.to_recover, cur, 2)} still to earn back."
        )
    )
    rows = []
    for s in answer.scenarios:
        date = "paid back" if s.paid_back else (s.payback_date or "not at this rate")
        rows.append([_factor_words(s.price_factor), money.amount(s.net_per_day, cur, places), date])
    lines += ["", table(["IF", "NET PER DAY", "PAYBACK"], rows, width=width, right={1})]
    if answer.what_if:
        lines.append("(a what-if: your settings are unchanged)")
    return "\n".join(lines)


def cmd_roi(args: argparse.Namespace) -> int:
    query = RoiQuery(
        price_change_pct=args.price_change,
        electricity_price=args.electricity_price,
        card_cost=args.card_cost,
        resale_value=args.resale,
    )
    answer = call_worker(args, lambda c: c.call(endpoints.ROI, query))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    print(roi_text(answer))
    return 0


# --- estimates ----------------------------------------------------------------------


def estimate_text(answer: EstimatesAnswer, width: int | None = None) -> str:
    cur = answer.currency
    rows, notes = [], []
    for e in answer.networks:
        if not e.has_data:
            rows.append([e.display_name, "no data", DASH, DASH, e.recorded])
            notes.append(f"{e.display_name}: {e.note}")
            continue
        if e.gross_low is None:
            same = e.usd_per_hour_low == e.usd_per_hour_high
            gross = (
                f"${e.usd_per_hour_low}/h"
                if same
                else (f"${e.usd_per_hour_low}–{e.usd_per_hour_high}/h")
            )
            net = DASH
        else:
            gross = f"{money.amount(e.gross_low, cur, 2)}–{money.amount(e.gross_high, cur, 2)}"
            net = f"{money.amount(e.net_low, cur, 2)}–{money.amount(e.net_high, cur, 2)}"
        rows.append([e.display_name, gross, money.amount(e.electricity, cur, 2), net, e.recorded])
        notes.append(f"{e.display_name} ({e.price_kind}): {e.source}. {e.note}".strip())
    head = (
        f"{answer.model or answer.gpu_name}: per day at {answer.utilisation_pct}% utilisation, "
        f"{answer.power_w} W, electricity {answer.price_per_kwh} {cur}/kWh"
    )
    lines = [head, "", table(["NETWORK", "GROSS/DAY", "ELECTRICITY", "NET/DAY", "RECORDED"],
                             rows, width=width, right={1, 2, 3})]  # fmt: skip
    lines += ["", "Sources:"] + [wrap(n, width, indent="  ") for n in notes]
    return "\n".join(lines)


def cmd_estimate(args: argparse.Namespace) -> int:
    query = EstimatesQuery(gpu=args.gpu, utilisation_pct=args.utilisation)

    def ask(client: WorkerClient) -> EstimatesAnswer:
        try:
            return client.call(endpoints.ESTIMATES, query)
        except ApiError as exc:
            if exc.code == "unavailable" and not args.gpu:  # no GPU here: name a model
                exc.message += ": name a model, for example `--gpu 'RTX 3080'`"
            raise

    answer = call_worker(args, ask)
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    print(estimate_text(answer))
    return 0


# --- wear ---------------------------------------------------------------------------


def wear_text(answer: WearAnswer, width: int | None = None) -> str:
    if not answer.gpus:
        return "No GPU has been watched yet."
    rows = [
        [
            g.name or g.gpu_uuid,
            f"{g.above_soft_hours:.1f} h",
            str(g.thermal_cycles),
            DASH if g.peak_core_c is None else f"{g.peak_core_c:.0f} °C",
            "not reported" if g.peak_mem_c is None else f"{g.peak_mem_c:.0f} °C",
            f"{g.energy_kwh:.2f} kWh",
            dt.datetime.fromtimestamp(g.since_ts).strftime("%Y-%m-%d"),
        ]
        for g in answer.gpus
    ]
    headers = ["GPU", "ABOVE SOFT", "HEAT CYCLES", "PEAK CORE", "PEAK VRAM", "ENERGY", "SINCE"]
    return table(headers, rows, width=width, right={1, 2, 3, 4, 5})


def cmd_wear(args: argparse.Namespace) -> int:
    answer = call_worker(args, lambda c: c.call(endpoints.WEAR))
    if answer is None:
        return 1
    if args.json:
        print_json(answer)
        return 0
    print(wear_text(answer))
    return 0
