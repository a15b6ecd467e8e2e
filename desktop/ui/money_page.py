"""The Money page: history over weeks and months, ROI with a "what if", estimates before
enrolling, each GPU's wear, the exchange rates with their age, and the CSV export.

Every figure comes from the worker (``GET /history``, ``/roi``, ``/estimates``, ``/wear``,
``/earnings/rows``) and is written by desktop.views.money, as in ``rigpilot``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller
from desktop.ipc.schema_money import (
    EarningRowsQuery,
    EstimatesAnswer,
    HistoryAnswer,
    HistoryQuery,
    RoiAnswer,
    RoiQuery,
    WearAnswer,
)
from desktop.ui import tasks
from desktop.ui.estimates_view import EstimatesView
from desktop.ui.money_charts import NetChart, UseChart
from desktop.views import money
from desktop.views.money_csv import earnings_csv
from desktop.views.text import DASH

Runner = Callable[..., None]
GRAINS = {"Weeks": "week", "Months": "month", "Days": "day"}
RANGES = {"90 days": 90, "1 year": 365, "30 days": 30}


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setStyleSheet("font-size: 12pt; font-weight: 600; margin-top: 8px;")
    return label


class MoneyPage(QWidget):
    def __init__(
        self, client: Caller, parent: QWidget | None = None, run: Runner = tasks.run_in_background
    ) -> None:
        super().__init__(parent)
        self.client, self._run = client, run
        self.history: HistoryAnswer | None = None
        self.roi: RoiAnswer | None = None
        self.wear: WearAnswer | None = None
        title = QLabel("Money")
        title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setToolTip("Every earning and day's electricity, for taxes")
        self.export_button.clicked.connect(self._ask_export)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.export_button)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rates = QLabel()
        self.rates.setWordWrap(True)
        self.rates.setObjectName("muted")

        self.grain = QComboBox()
        self.grain.addItems(list(GRAINS))
        self.span = QComboBox()
        self.span.addItems(list(RANGES))
        self.grain.currentIndexChanged.connect(self._redraw)
        self.span.currentIndexChanged.connect(self.refresh)
        pickers = QHBoxLayout()
        pickers.addWidget(QLabel("Show"))
        pickers.addWidget(self.grain)
        pickers.addWidget(QLabel("over"))
        pickers.addWidget(self.span)
        pickers.addStretch(1)
        self.net_chart = NetChart()
        self.use_chart = UseChart()

        self.roi_text = QLabel()
        self.roi_text.setWordWrap(True)
        self.roi_text.setTextFormat(Qt.TextFormat.RichText)
        self.price_slider = QSlider(Qt.Orientation.Horizontal)
        self.price_slider.setRange(-50, 50)
        self.price_slider.setAccessibleName("token price change")
        self.price_label = QLabel()
        self.elec = QDoubleSpinBox()
        self.elec.setRange(0, 5)
        self.elec.setDecimals(3)
        self.elec.setSingleStep(0.01)
        self.elec.setAccessibleName("electricity price")
        self.card_cost = QDoubleSpinBox()
        self.card_cost.setRange(0, 100000)
        self.card_cost.setDecimals(0)
        self.card_cost.setAccessibleName("card cost")
        self.card_cost.setSpecialValueText("from settings")
        what_if = QGridLayout()
        what_if.addWidget(QLabel("What if token prices moved"), 0, 0)
        what_if.addWidget(self.price_slider, 0, 1)
        what_if.addWidget(self.price_label, 0, 2)
        what_if.addWidget(QLabel("Electricity per kWh"), 1, 0)
        what_if.addWidget(self.elec, 1, 1)
        what_if.addWidget(QLabel("Card cost"), 2, 0)
        what_if.addWidget(self.card_cost, 2, 1)
        self._what_if_timer = QTimer(self)
        self._what_if_timer.setSingleShot(True)
        self._what_if_timer.setInterval(250)
        self._what_if_timer.timeout.connect(self.refresh_roi)
        self.price_slider.valueChanged.connect(self._what_if_changed)
        self.elec.valueChanged.connect(self._what_if_changed)
        self.card_cost.valueChanged.connect(self._what_if_changed)

        self.estimates = EstimatesView()
        self.wear_text = QLabel()
        self.wear_text.setWordWrap(True)
        self.wear_text.setTextFormat(Qt.TextFormat.RichText)
        self.note = QLabel()
        self.note.setObjectName("muted")

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.rates)
        layout.addWidget(_section("History"))
        layout.addLayout(pickers)
        layout.addWidget(self.net_chart)
        layout.addWidget(self.use_chart)
        layout.addWidget(_section("Return on the card"))
        layout.addWidget(self.roi_text)
        layout.addLayout(what_if)
        layout.addWidget(_section("Before enrolling"))
        layout.addWidget(self.estimates)
        layout.addWidget(_section("Wear"))
        layout.addWidget(self.wear_text)
        layout.addWidget(self.note)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 8, 4, 4)
        outer.addLayout(header)
        outer.addWidget(scroll, 1)
        self._price_words()

    # --- loading --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.refresh()

    def _fail(self, exc: Exception) -> None:
        self.note.setText(f"Could not read the money figures: {exc}")

    def refresh(self) -> None:
        call = self.client.call
        query = HistoryQuery(days=RANGES[self.span.currentText()])
        self._run(lambda: call(endpoints.HISTORY, query), self.show_history, self._fail)
        self.refresh_roi()
        self._run(lambda: call(endpoints.ESTIMATES), self.show_estimates, self._fail)
        self._run(lambda: call(endpoints.WEAR), self.show_wear, self._fail)

    def roi_query(self) -> RoiQuery:
        return RoiQuery(
            price_change_pct=float(self.price_slider.value()),
            electricity_price=self.elec.value() if self.elec.value() > 0 else None,
            card_cost=self.card_cost.value() if self.card_cost.value() > 0 else None,
        )

    def refresh_roi(self) -> None:
        call, query = self.client.call, self.roi_query()
        self._run(lambda: call(endpoints.ROI, query), self.show_roi, self._fail)

    def _price_words(self) -> None:
        value = self.price_slider.value()
        self.price_label.setText("as now" if value == 0 else f"{value:+d} %")

    def _what_if_changed(self, *_args: Any) -> None:
        self._price_words()
        self._what_if_timer.start()

    # --- showing --------------------------------------------------------------------

    def show_history(self, answer: HistoryAnswer) -> None:
        self.history = answer
        totals = answer.totals
        gross, net = money.gross_and_net(totals)
        days = RANGES[self.span.currentText()]
        line = (
            f"Last {days} days: <b>{gross}</b> gross, {money.electricity(totals)} electricity, "
            f"<b>{net}</b> net; worth today {money.worth_now(totals)}."
        )
        if totals.practice is not None:
            p_gross, p_net = money.gross_and_net(totals.practice)
            line += f" Practice (play money, in no real total): {p_gross} gross, {p_net} net."
        self.summary.setText(line)
        self.rates.setText("<br>".join(money.rate_line(r) for r in answer.rates))
        self._redraw()

    def _redraw(self) -> None:
        if self.history is None:
            return
        self.net_chart.show_history(self.history, GRAINS[self.grain.currentText()])
        self.use_chart.show_history(self.history)

    def show_roi(self, answer: RoiAnswer) -> None:
        self.roi = answer
        cur = answer.currency
        places = money.decimals_for([answer.net_so_far, answer.gross_per_day])
        lines = [
            f"Earned net of electricity: <b>{money.amount(answer.net_so_far, cur, places)}</b>"
            + (f" since {answer.purchase_date}" if answer.purchase_date else ""),
            f"Recent rate ({answer.window_days} days): "
            f"{money.amount(answer.gross_per_day - answer.electricity_per_day, cur, places)} "
            "net per day",
        ]
        if answer.unpriced:
            lines.append("Not counted (no rate yet): " + money.unpriced(answer.unpriced))
        if not answer.configured:
            lines.append(
                "Enter what the card cost in Card cost below for a payback date."
            )
        else:
            for s in answer.scenarios:
                change = (s.price_factor - 1) * 100
                label = "token prices as now" if not change else f"token prices {change:+.0f} %"
                when = "paid back" if s.paid_back else (s.payback_date or "not at this rate")
                lines.append(
                    f"{label}: {money.amount(s.net_per_day, cur, places)} a day → <b>{when}</b>"
                )
        self.roi_text.setText("<br>".join(lines))

    def show_estimates(self, answer: EstimatesAnswer) -> None:
        self.estimates.show_answer(answer)

    def show_wear(self, answer: WearAnswer) -> None:
        self.wear = answer
        if not answer.gpus:
            self.wear_text.setText("No GPU has been watched yet.")
            return
        rows = []
        for g in answer.gpus:
            vram = "not reported" if g.peak_mem_c is None else f"{g.peak_mem_c:.0f} °C"
            core = DASH if g.peak_core_c is None else f"{g.peak_core_c:.0f} °C"
            rows.append(
                f"<b>{g.name or g.gpu_uuid}</b>: {g.above_soft_hours:.1f} h above the soft "
                f"limit, {g.thermal_cycles} heat cycles, peak core {core}, peak VRAM {vram}, "
                f"{g.energy_kwh:.2f} kWh"
            )
        self.wear_text.setText("<br>".join(rows))

    # --- export ---------------------------------------------------------------------

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export every earning", "rigpilot-earnings.csv", "CSV (*.csv)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path, days: int = 3660) -> None:
        call = self.client.call
        query = EarningRowsQuery(days=days)

        def write(answer: Any) -> None:
            path.write_text(earnings_csv(answer), encoding="utf-8")
            self.note.setText(f"Exported {len(answer.rows)} earnings to {path}")

        self._run(lambda: call(endpoints.EARNING_ROWS, query), write, self._fail)
