"""Money as every view writes it: ``$1.25``, ``$0.0478``, ``1.25 EUR``, gross and net.

One rule for the number of decimals, applied to a whole set of amounts shown together (a
table, a card and its note): two, or four when every amount is under a dollar, because the
practice network pays cents and "$0.04 − $0.01 = $0.04" reads as an error where
"$0.0478 − $0.0079 = $0.0399" does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from desktop.ipc.schema import EarningsTotals, MoneyFigures
from desktop.model import Money
from desktop.views.text import DASH

Amount = Decimal | float | int | None


def decimals_for(amounts: Iterable[Amount]) -> int:
    """2, or 4 when every non-zero amount is under one unit."""
    sizes = [abs(Decimal(str(a))) for a in amounts if a is not None]
    nonzero = [a for a in sizes if a.is_finite() and a > 0]
    return 4 if nonzero and max(nonzero) < 1 else 2


def amount(value: Amount, currency: str = "USD", decimals: int | None = None) -> str:
    """``$1.25`` (USD) or ``1.25 EUR``; an en dash when unknown."""
    if value is None:
        return DASH
    number = Decimal(str(value))
    if not number.is_finite():
        return DASH
    places = decimals_for([number]) if decimals is None else decimals
    text = f"{number:,.{places}f}"
    if currency.upper() != "USD":
        return f"{text} {currency.upper()}"
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def paid(money: Money) -> str:
    """A payment in the network's unit, in dollars when its USD value is known."""
    if money.usd is not None:
        return amount(money.usd)
    return f"{money.amount:f} {money.unit}".strip()


def gross_and_net(figures: MoneyFigures | None) -> tuple[str, str | None]:
    """(gross, net) written with the same decimals; net None when it is not known in USD."""
    if figures is None:
        return amount(0), None
    places = decimals_for([figures.gross_usd, figures.net_usd])
    gross = amount(figures.gross_usd, decimals=places)
    net = None if figures.net_usd is None else amount(figures.net_usd, decimals=places)
    return gross, net


def today_line(totals: EarningsTotals | None) -> str:
    """"$0.2460 gross, $0.1993 after electricity": today's money, one phrase everywhere."""
    gross, net = gross_and_net(totals)
    return f"{gross} gross, {net} after electricity" if net is not None else f"{gross} gross"


def gross_slash_net(figures: MoneyFigures | None) -> str:
    """"$0.25 / $0.20": a table cell of gross and net."""
    gross, net = gross_and_net(figures)
    return f"{gross} / {net}" if net is not None else gross
