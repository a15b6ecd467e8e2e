"""A network's requirements as the wizard's rows and the Networks page's cards show them.

Both render one ``desktop.views.requirements.Fitness`` with these two functions, so the
same machine reads the same ✔ and ✘, and the same lines of what is missing, in both.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import QWidget

from desktop.model import CheckStatus
from desktop.ui.wizard.base import status_colour
from desktop.views.requirements import Fitness

PRACTICE = "demo"  # the practice network: where it cannot run, the demo shows it


def needs_html(fitness: Fitness, widget: QWidget) -> str:
    """ "Needs: ✔ Docker, ✘ Supported GPU" ("" when the network needs nothing)."""
    parts = []
    for need in fitness.needs:
        colour = status_colour(widget, CheckStatus.PASS if need.met else CheckStatus.FAIL)
        mark = "✔" if need.met else "✘"
        parts.append(f'<span style="color:{colour}">{mark}</span> {html.escape(need.title)}')
    return ("Needs: " + ", ".join(parts)) if parts else ""


def shortfalls_html(fitness: Fitness, heading: str, with_fixes: bool = False) -> str:
    """``heading`` then one line per thing missing, whole; with ``with_fixes`` the fix
    under each (the Networks page; the wizard has them on its checks page)."""
    if fitness.fit:
        return ""
    lines = [f"<b>{html.escape(heading)}</b>"]
    for shortfall in fitness.shortfalls:
        lines.append(f"✘ {html.escape(shortfall.line)}")
        if with_fixes and shortfall.plain_fix:
            lines.append(f"&nbsp;&nbsp;&nbsp;Fix: {html.escape(shortfall.plain_fix)}")
    return "<br>".join(lines)


def offers_demo(network_id: str, fitness: Fitness) -> bool:
    """The practice network locked here: its row offers "Try the demo"."""
    return network_id == PRACTICE and not fitness.fit
