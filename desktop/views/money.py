"""Money as every view writes it: ``$1.25``, ``1.25 EUR``, ``practice $0.25``, ``12.5 NOS``.

One rule for the number of decimals, applied to a whole set of amounts shown together (a
table, a card and its note): two, or four when every amount is under one unit, because the
practice network pays cents and "$0.04 − $0.01 = $0.04" reads as an error where
"$0.0478 − $0.0079 = $0.0399" does not.

Pay with no rate to the user's currency is written in its own unit ("12.5 NOS, no rate
yet"), never as 0 and never with a "$"; practice money always says "practice".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from desktop.ipc.schema import EarningsTotals, MoneyFigures
from desktop.ipc.schema_data import RateInfo
from desktop.model import Money
from desktop.money.units import PRACTICE, is_practice
from desktop.views.text import DASH, duration

Amount = Decimal | float | int | None


def decimals_for(amounts: Iterable[Amount]) -> int:
    """2, or 4 when every non-zero amount is under one unit."""
    sizes = [abs(Decimal(str(a))) for a in amounts if a is not None]
    nonzero = [a for a in sizes if a.is_finite() and a > 0]
    return 4 if nonzero and max(nonzero) < 1 else 2


def amount(value: Amount, currency: str = "USD", decimals: int | None = None) -> str:
    """``$1.25`` (USD), ``1.25 EUR``, ``practice $1.25``; an en dash when unknown."""
    if value is None:
        return DASH
    number = Decimal(str(value))
    if not number.is_finite():
        return DASH
    places = decimals_for([number]) if decimals is None else decimals
    text = f"{number:,.{places}f}"
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    if currency == PRACTICE:
        return f"practice {sign}${digits}"
    if currency.upper() != "USD":
        return f"{text} {currency.upper()}"
    return f"{sign}${digits}"


def native(value: Amount, unit: str) -> str:
    """An amount in a network's own unit: ``12.5 NOS``, ``practice 3 DEMO``."""
    if value is None:
        return DASH
    number = Decimal(str(value)).normalize()
    text = f"{number:f}"
    return f"practice {text} {unit}" if is_practice(unit) else f"{text} {unit}"


def paid(money: Money) -> str:
    """A payment as the network made it: in its unit (practice pay in practice dollars)."""
    if is_practice(money.unit):
        return (
            amount(money.usd, PRACTICE)
            if money.usd is not None
            else native(money.amount, money.unit)
        )
    if money.unit.upper() == "USD":
        return amount(money.amount)
    return native(money.amount, money.unit)


def unpriced(values: Mapping[str, Decimal]) -> str:
    """ "12.5 NOS, 3 IO (no rate yet)" or ""."""
    if not values:
        return ""
    return ", ".join(native(a, u) for u, a in sorted(values.items())) + " (no rate yet)"


def gross_and_net(figures: MoneyFigures | None) -> tuple[str, str]:
    """(gross, net) in the figures' currency with the same decimals; pay with no rate is
    added in its own unit to the gross, and noted after the net."""
    if figures is None:
        return amount(0), amount(0)
    places = decimals_for([figures.gross, figures.net, figures.electricity])
    gross = amount(figures.gross, figures.currency, places)
    net = amount(figures.net, figures.currency, places)
    extra = unpriced(figures.unpriced)
    if extra:
        gross = extra if not figures.gross else f"{gross} + {extra}"
        net = f"{net} + {extra}"
    return gross, net


def electricity(figures: MoneyFigures | None) -> str:
    if figures is None:
        return amount(0)
    places = decimals_for([figures.gross, figures.net, figures.electricity])
    return amount(figures.electricity, figures.currency, places)


def today_line(totals: EarningsTotals | None) -> str:
    """ "0.25 EUR gross, 0.05 EUR electricity, 0.20 EUR net": today's money, one phrase
    everywhere (the header, the tray, ``rigpilot status``); practice money after it."""
    if totals is None:
        return DASH
    gross, net = gross_and_net(totals)
    line = f"{gross} gross, {electricity(totals)} electricity, {net} net"
    practice = totals.practice
    if practice is not None and (practice.gross or practice.electricity):
        p_gross, p_net = gross_and_net(practice)
        line += f" (practice: {p_gross} gross, {p_net} net)"
    return line


def gross_slash_net(figures: MoneyFigures | None) -> str:
    """ "$0.25 / $0.20": a table cell of gross and net."""
    gross, net = gross_and_net(figures)
    return f"{gross} / {net}"


def worth_now(figures: MoneyFigures | None) -> str:
    """What the same pay is worth at today's rates (token pay moves with the token)."""
    if figures is None or figures.gross_now is None:
        return DASH
    places = decimals_for([figures.gross, figures.gross_now])
    return amount(figures.gross_now, figures.currency, places)


def rate_line(rate: RateInfo, now_age_s: float | None = None) -> str:
    """ "1 NOS = 0.4521 EUR (price API, 3 min old)"; "stale" when old; no rate said so."""
    if rate.rate is None:
        return f"{rate.unit}: no rate yet; its pay is shown in {rate.unit}"
    age = rate.age_s if now_age_s is None else now_age_s
    source = {"manual": "your rate", "api": "price API", "same": "same currency"}.get(
        rate.source or "", rate.source or ""
    )
    when = "" if rate.source in ("manual", "same") or age is None else f", {duration(age)} old"
    stale = "; stale: the price API has not answered lately" if rate.stale else ""
    value = f"{rate.rate.normalize():f}" if rate.rate >= 1 else f"{rate.rate:.6g}"
    return f"1 {rate.unit} = {value} {rate.currency} ({source}{when}){stale}"
