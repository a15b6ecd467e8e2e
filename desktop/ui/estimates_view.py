"""Before enrolling: what this card could earn per day on each network, side by side.

Shown in the wizard's network step and on the Networks page, from ``GET /estimates``: a
range of gross and net per day in the user's currency, with the source and date of each
network's figures; a network with no recorded price for this card says so.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ipc.schema_money import EstimatesAnswer, NetworkEstimate
from desktop.views import money
from desktop.views.text import DASH, plain

HEADERS = ["Network", "Gross / day", "Electricity / day", "Net / day", "Recorded"]


def cells(e: NetworkEstimate, currency: str) -> list[str]:
    if not e.has_data:
        return [e.display_name, "no data for this card", DASH, DASH, e.recorded]
    if e.gross_low is None or e.net_low is None:
        same = e.usd_per_hour_low == e.usd_per_hour_high
        prices = f"{e.usd_per_hour_low}" if same else f"{e.usd_per_hour_low}–{e.usd_per_hour_high}"
        gross = f"${prices} per hour (no USD rate yet)"
        return [e.display_name, gross, money.amount(e.electricity, currency, 2), DASH, e.recorded]
    low, high = money.amount(e.gross_low, currency, 2), money.amount(e.gross_high, currency, 2)
    net_low, net_high = (money.amount(e.net_low, currency, 2),
                         money.amount(e.net_high, currency, 2))  # fmt: skip
    return [
        e.display_name,
        low if low == high else f"{low} – {high}",
        money.amount(e.electricity, currency, 2),
        net_low if net_low == net_high else f"{net_low} – {net_high}",
        e.recorded,
    ]


class EstimatesView(QWidget):
    def __init__(self, parent: QWidget | None = None, compact: bool = False) -> None:
        """``compact``: the sources go to each row's tooltip (the wizard has little room)."""
        super().__init__(parent)
        self.compact = compact
        self.title = QLabel("What this card could earn (estimates before enrolling)")
        self.title.setStyleSheet("font-weight: 600;")
        self.head = QLabel()
        self.head.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(110 if compact else 150)
        self.sources = QLabel()
        self.sources.setWordWrap(True)
        self.sources.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.head)
        layout.addWidget(self.table)
        layout.addWidget(self.sources)
        self.answer: EstimatesAnswer | None = None

    def show_answer(self, answer: EstimatesAnswer) -> None:
        self.answer = answer
        self.table.show()
        self.head.setText(
            f"{answer.model or answer.gpu_name}, busy {answer.utilisation_pct.normalize():f} % "
            f"of the day (assumed), {answer.power_w.normalize():f} W, "
            f"electricity {answer.price_per_kwh.normalize():f} {answer.currency} per kWh."
        )
        self.table.setRowCount(len(answer.networks))
        for row, e in enumerate(answer.networks):
            for col, text in enumerate(cells(e, answer.currency)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{e.source}. {e.note}".strip())
                self.table.setItem(row, col, item)
        if self.compact:
            self.sources.setText("Point at a row for where its figures come from and when.")
            return
        self.sources.setText(
            "<br>".join(
                f"<b>{e.display_name}</b> ({e.price_kind}, {e.recorded}): {e.source}."
                + (f" {e.note}" if e.note else "")
                for e in answer.networks
            )
        )

    def show_error(self, message: str) -> None:
        """The worker's reason, in the window's words (no CLI backticks); no empty table."""
        self.head.setText(f"No estimate: {plain(message)}.".replace("..", "."))
        self.table.setRowCount(0)
        self.table.hide()
        self.sources.setText("")
