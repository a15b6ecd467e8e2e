"""The choose-networks page: one row per network, ticked or not; a locked one says why.

Signals:
    choice_changed(str, bool): the user ticked (True) or unticked a network.
    demo_requested(): "Try the demo" on the practice network's row (it runs in the demo
        where this computer cannot run it).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.model import CheckStatus
from desktop.ui.estimates_view import EstimatesView
from desktop.ui.wizard.base import (
    WizardPage,
    discard,
    error_colour,
    muted_label,
    status_colour,
    wrapped,
)
from desktop.ui.wizard.requirements_view import needs_html, offers_demo, shortfalls_html
from desktop.views.notices import TRY_DEMO
from desktop.wizard import networks_step
from desktop.wizard.state import NetworkOption, Step, WizardState

DEMO_HERE = (
    "On this computer it runs in the demo, on a simulated GPU: nothing to install, no account."
)


class NetworkRow(QFrame):
    """A network: a checkbox with its name, what it is, what it needs, or why it is locked."""

    def __init__(self, option: NetworkOption, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        self.check = QCheckBox(option.display_name)
        self.check.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.check)
        if option.description:
            layout.addWidget(muted_label(option.description))
        self.needs = wrapped()
        layout.addWidget(self.needs)
        self.why = wrapped(selectable=True)
        self.why.setStyleSheet(f"color: {error_colour(self)};")
        layout.addWidget(self.why)
        self.demo_button = QPushButton(TRY_DEMO)
        self.demo_button.hide()
        demo_row = QHBoxLayout()
        demo_row.addWidget(self.demo_button)
        demo_row.addStretch(1)
        layout.addLayout(demo_row)

    def show_option(self, state: WizardState) -> None:
        option = self.option
        if option.not_joinable is not None:
            self._show_not_joinable(option)
            return
        fitness = networks_step.fitness(state, option)
        done = state.enrollment(option.id)
        enrolled = option.enrolled or (done is not None and done.ok)
        self.check.blockSignals(True)
        self.check.setChecked(option.id in state.chosen or enrolled)
        self.check.setEnabled(fitness.fit and not enrolled)
        self.check.blockSignals(False)
        needs = needs_html(fitness, self)
        self.needs.setText(needs)
        self.needs.setVisible(bool(needs))
        demo = offers_demo(option.id, fitness) and not enrolled
        if enrolled:
            self.why.setText("Enrolled: manage it on the Networks page.")
            self.why.setStyleSheet(f"color: {status_colour(self, CheckStatus.PASS)};")
        elif demo:  # not a fault to fix: this computer shows it in the demo
            self.why.setText(DEMO_HERE)
            self.why.setStyleSheet("")
        else:
            heading = "Locked until this is fixed (the fixes are on the checks page):"
            self.why.setText(shortfalls_html(fitness, heading))
            self.why.setToolTip(networks_step.why_not(state, option))
            self.why.setStyleSheet(f"color: {error_colour(self)};")
        self.why.setVisible(not fitness.fit or enrolled)
        self.demo_button.setVisible(demo)

    def _show_not_joinable(self, option: NetworkOption) -> None:
        """A network RigPilot only lists: no tick, and why, instead, and the source."""
        reason = option.not_joinable
        assert reason is not None
        self.check.blockSignals(True)
        self.check.setChecked(False)
        self.check.setEnabled(False)
        self.check.blockSignals(False)
        self.check.setText(f"{option.display_name}: can't join through RigPilot")
        self.check.setStyleSheet(  # a title, not a box that could never be ticked
            "QCheckBox { font-weight: 600; } QCheckBox::indicator { width: 0px; height: 0px; }"
        )
        self.needs.setText(
            f"<b>Why not:</b> {html.escape(reason.why)}<br><b>Instead:</b> "
            f"{html.escape(reason.instead)}<br>Source: {html.escape(reason.source)}"
        )
        self.needs.setVisible(True)
        self.why.setVisible(False)
        self.setToolTip(reason.sentence(option.display_name))


class ChoosePage(WizardPage):
    step = Step.NETWORKS
    choice_changed = Signal(str, bool)
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body.addWidget(
            muted_label(
                "Pick where your GPU should work. Each network says whether this computer "
                "meets its requirements. You can add or remove networks later on the "
                "Networks page."
            )
        )
        self.empty = wrapped()
        self.body.addWidget(self.empty)
        self.rows: dict[str, NetworkRow] = {}
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 6, 0)
        self._list_layout.setSpacing(8)
        self._list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._list)
        self.body.addWidget(scroll, 1)
        self.estimates = EstimatesView(compact=True)
        self.body.addWidget(self.estimates)
        self.body.addWidget(self.problem)

    def show_state(self, state: WizardState) -> None:
        super().show_state(state)
        if not state.networks_loaded:
            self.empty.setText(
                state.networks_error or "Loading the networks from RigPilot's worker…"
            )
        self.empty.setVisible(not state.networks_loaded)
        if tuple(r.option for r in self.rows.values()) != state.networks:
            self._rebuild(state.networks)
        for row in self.rows.values():
            row.show_option(state)

    def _rebuild(self, options: tuple[NetworkOption, ...]) -> None:
        for row in self.rows.values():
            self._list_layout.removeWidget(row)
            discard(row)
        self.rows = {}
        for position, option in enumerate(options):
            row = NetworkRow(option)
            row.check.toggled.connect(
                lambda on, network=option.id: self.choice_changed.emit(network, on)
            )
            row.demo_button.clicked.connect(self.demo_requested.emit)
            self.rows[option.id] = row
            self._list_layout.insertWidget(position, row)
