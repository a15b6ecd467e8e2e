"""The earnings chart: today's running totals (gross per network, net overall), or 7 days.

Money accumulates over a day, so for the 10 min / 1 h / 24 h ranges the chart shows today
from its first credit to now (at least two minutes wide), and the ledger's last 7 days for
7 d. It owns its data (``EarningsHistory``) and its window on the wall clock; the page feeds
it status answers and events and calls ``draw`` once a second while on screen.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

from desktop import clock
from desktop.ipc import endpoints
from desktop.ipc.schema import StatusAnswer
from desktop.ipc.schema_data import EarningsAnswer, EarningsQuery
from desktop.ipc.schema_networks import NetworkRecord
from desktop.model import Event
from desktop.ui.dashboard.charts import TimeChart
from desktop.ui.dashboard.earnings import NET, Curves, EarningsHistory, midnight, weekly_curves
from desktop.ui.dashboard.series import RANGES
from desktop.ui.theme import Theme
from desktop.ui.worker_link import WorkerLink
from desktop.views import money

WEEK_REFRESH_S = 60.0
MIN_TODAY_SPAN_S = 120.0


class EarningsChart(TimeChart):
    def __init__(self, link: WorkerLink, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__("Earned today", "USD", theme, parent)
        self._link = link
        self.history = EarningsHistory()
        self._week: Curves = {}
        self._week_at = 0.0
        self._names: dict[str, str] = {}
        self.sim_clock_shown = False  # the page sets it when the GPU charts run on sim time
        self._money_note = ""  # "net 0.96 EUR", from the last status
        self._keys: list[str] = []
        self.set_y_floor(0.0)
        self.set_min_span(0.01)

    # --- inputs --------------------------------------------------------------------

    def on_status(self, status: StatusAnswer) -> None:
        self.history.add_status(clock.now(), status.earnings_today)
        totals = status.earnings_today
        if totals is not None:
            self._unit = totals.currency  # the user's currency, as every money view
            practice = " (practice money in practice $)" if totals.practice is not None else ""
            self._money_note = f"net {money.gross_and_net(totals)[1]}{practice}"
            self.set_note(self._note())

    def on_events(self, events: list[Event]) -> bool:
        """Feed events; True when one of them was a credit (the chart should redraw)."""
        return any([self.history.add_event(e) for e in events])

    def span(self) -> float:
        """Seconds of today's money the chart holds (tests wait for a full chart)."""
        curves = self.history.today_curves(midnight(clock.now()), clock.now())
        firsts = [float(x[0]) for x, _ in curves.values() if len(x)]
        return clock.now() - min(firsts) if firsts else 0.0

    def clear(self) -> None:
        """Forget the money shown (another rig is on screen)."""
        self.history.clear()
        self._week, self._week_at = {}, 0.0

    def set_names(self, networks: list[NetworkRecord]) -> None:
        self._names = {n.network: n.display_name or n.network for n in networks}

    # --- drawing -------------------------------------------------------------------

    def draw(self, range_key: str) -> None:
        """7 d: the ledger's days. Otherwise today, from its first data (at least 2 min wide)."""
        now = clock.now()
        if range_key == "7d":
            self._fetch_week()
            curves = self._week
            end = now
            start = end - RANGES["7d"][1]
            self.set_title("Earned in the last 7 days")
        else:
            curves = self.history.today_curves(midnight(now), now)
            firsts = [float(x[0]) for x, _ in curves.values() if len(x)]
            start = min(firsts, default=now - MIN_TODAY_SPAN_S)
            end = max(now, start + MIN_TODAY_SPAN_S)  # a young day grows into the chart
            self.set_title("Earned today")
        networks = sorted(k for k in curves if k != NET)
        for key in [*networks, NET]:
            if key not in self._keys:
                label = "Net after electricity" if key == NET else self._label(key)
                self.add_series(key, label, 5 if key == NET else len(self._keys), key == NET)
                self._keys.append(key)
            x, y = curves.get(key, (np.empty(0), np.empty(0)))
            if len(x) and x[-1] < now:  # carry the last total to now: a level, not a dangling end
                x, y = np.append(x, now), np.append(y, y[-1])
            self.set_series(key, x, y)
        for key in self._keys:
            if key not in curves:
                self.set_series(key, np.empty(0), np.empty(0))
        self.set_note(self._note() if curves else "Nothing earned yet")
        pad = (end - start) * 0.01
        self.set_window(start - pad, end + pad)

    def _note(self) -> str:
        """Today's net, and, beside a simulated GPU's faster clock, which clock money is on."""
        parts = [self._money_note] if self._money_note else []
        if self.sim_clock_shown:
            parts.append("on your clock")
        return " · ".join(parts)

    def _label(self, network: str) -> str:
        return f"{self._names.get(network, network)} (gross)"

    def _fetch_week(self) -> None:
        if not self._link.connected or clock.now() - self._week_at < WEEK_REFRESH_S:
            return
        self._week_at = clock.now()

        def done(answer: EarningsAnswer) -> None:
            self._week = weekly_curves(answer, clock.now())

        query = EarningsQuery(days=7)
        self._link.call(endpoints.EARNINGS, query, on_done=done, on_error=lambda _e: None)
