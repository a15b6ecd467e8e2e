"""The credentials page, once per chosen network: the form from its schema, and Skip.

Next sends the values to the worker (``POST /networks/{id}/enroll``), which keeps secrets
in the keyring; a refusal (bad key, no keyring) is shown under the field, or on the page.

Signals:
    skip_requested(): leave this network for later.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from desktop.model import CheckStatus
from desktop.ui.wizard.base import WizardPage, discard, muted_label, status_colour, wrapped
from desktop.ui.wizard.credentials_form import CredentialsForm
from desktop.wizard import credentials_step
from desktop.wizard.state import Problem, Step, WizardState


class CredentialsPage(WizardPage):
    step = Step.CREDENTIALS
    skip_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.network_id = ""
        self.intro = muted_label(
            "RigPilot hands these to its worker, which keeps secrets in your system keyring "
            "(never in a file, a log or a command line)."
        )
        self.outcome = wrapped(selectable=True)
        self.form = CredentialsForm(())
        self.skip_button = QPushButton("&Skip this network")
        self.skip_button.setToolTip("Enroll it later from the Networks page")
        self.skip_button.clicked.connect(self.skip_requested.emit)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.skip_button)
        self.body.addWidget(self.intro)
        self.body.addWidget(self.outcome)
        self.body.addWidget(self.form)
        self.body.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(self.problem)

    def show_state(self, state: WizardState) -> None:
        option = state.current_network
        if option is None:
            return
        if option.id != self.network_id:
            self.network_id = option.id
            self.body.removeWidget(self.form)
            discard(self.form)
            self.form = CredentialsForm(option.credential_fields)
            self.body.insertWidget(2, self.form)
        self.form.set_values(state.credentials.get(option.id, {}))
        done = state.enrollment(option.id)
        if done is not None and done.ok:
            text = f"✔ {option.display_name} is enrolled."
            if done.message:
                text += f" Next step for you: {done.message}"
            self.outcome.setText(text)
            self.outcome.setStyleSheet(f"color: {status_colour(self, CheckStatus.PASS)};")
            self.outcome.show()
        else:
            self.outcome.hide()
        self.form.setEnabled(not (done is not None and done.ok))
        self.skip_button.setVisible(not (done is not None and done.ok))
        self.show_problem(state.problem)

    def show_problem(self, problem: Problem | None) -> None:
        if self.form.show_problem(problem):
            self.problem.show_problem(None)
        else:
            self.problem.show_problem(problem)

    def collect(self, state: WizardState) -> WizardState:
        if not self.network_id:
            return state
        return credentials_step.set_values(state, self.network_id, self.form.values())
