"""The long charts of the Money page: net per week or month, stacked per network; earning
utilisation and uptime per day; each network's reputation over time.

Fed with the typed ``GET /history`` answer (desktop/ipc/schema_money.py); the grouping into
weeks and months is desktop/money/history.py's, so the app and ``rigpilot`` agree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.ipc.schema_money import HistoryAnswer
from desktop.money import history

COLORS = ["#4e9a06", "#3465a4", "#c4a000", "#75507b", "#ce5c00", "#06989a", "#cc0000"]


def _plot(title: str) -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setAccessibleName(f"{title} chart")
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.showGrid(x=False, y=True, alpha=0.25)
    item.setMouseEnabled(x=False, y=False)
    plot.setMinimumHeight(150)
    return plot


class NetChart(QWidget):
    """Net (gross − electricity, real money only) per week or month, stacked per network."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: 600;")
        self.plot = _plot("net per period")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot)
        self.periods: list[str] = []
        self.values: dict[str, list[Decimal]] = {}

    def show_history(self, answer: HistoryAnswer, grain: str) -> None:
        rows = [(d.date, d.network, d.net) for d in answer.days if not d.practice]
        self.periods, self.values = history.group(rows, grain)
        self.plot.clear()
        legend = []
        base = [0.0] * len(self.periods)
        positive = [0.0] * len(self.periods)
        for i, (network, values) in enumerate(sorted(self.values.items())):
            color = COLORS[i % len(COLORS)]
            heights = [float(v) for v in values]
            bottoms = [positive[k] if h >= 0 else base[k] for k, h in enumerate(heights)]
            bars = pg.BarGraphItem(
                x=list(range(len(heights))), height=heights, y0=bottoms, width=0.7, brush=color
            )
            self.plot.addItem(bars)
            for k, h in enumerate(heights):
                if h >= 0:
                    positive[k] += h
                else:
                    base[k] += h
            legend.append(f'<span style="color:{color}">■</span> {network}')
        axis = self.plot.getPlotItem().getAxis("bottom")
        step = max(1, len(self.periods) // 8)
        axis.setTicks([[(k, p) for k, p in enumerate(self.periods) if k % step == 0]])
        word = {"week": "week", "month": "month"}.get(grain, "day")
        self.title.setText(
            f"Net per {word}, {answer.currency} (after electricity; practice money apart)   "
            + "  ".join(legend)
        )


class UseChart(QWidget):
    """Earning utilisation (hours earning ÷ hours online) and reputation, per network."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Utilisation per day (%) and reputation over time")
        self.title.setStyleSheet("font-weight: 600;")
        self.plot = _plot("utilisation")
        self.plot.setAxisItems({"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setYRange(0, 100)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot)

    def show_history(self, answer: HistoryAnswer) -> None:
        self.plot.clear()
        networks = sorted({u.network for u in answer.use} | {p.network for p in answer.reputation})
        legend = []
        for i, network in enumerate(networks):
            color = COLORS[i % len(COLORS)]
            days = [u for u in answer.use if u.network == network and u.utilisation_pct is not None]
            if days:
                xs = [dt.datetime.fromisoformat(u.date).timestamp() + 43200 for u in days]
                ys = [float(u.utilisation_pct or 0) for u in days]
                self.plot.plot(xs, ys, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=4,
                               symbolBrush=color)  # fmt: skip
                legend.append(f'<span style="color:{color}">━</span> {network} utilisation')
            points = [p for p in answer.reputation if p.network == network and p.score is not None]
            if points:
                dashed = pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine)
                self.plot.plot(
                    [p.ts for p in points], [float(p.score or 0) for p in points], pen=dashed
                )
                legend.append(f'<span style="color:{color}">┅</span> {network} reputation')
        self.title.setText("Utilisation per day and reputation (0-100)   " + "  ".join(legend))
