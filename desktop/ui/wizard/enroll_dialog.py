"""Enroll one network from the Networks page: the same credentials form as the wizard.

The values go to the worker (``POST /networks/{id}/enroll``), which keeps secrets in the
keyring; a refusal (bad key, no keyring, unmet requirement) is shown under the field at
fault, or above the buttons, and the dialog stays open so nothing typed is lost.

Signals:
    enrolled(NetworkChange): the worker accepted; carries its answer.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller
from desktop.ipc.schema_networks import EnrollRequest, NetworkChange, NetworkRecord
from desktop.ui import tasks
from desktop.ui.wizard.base import ProblemLabel, muted_label
from desktop.ui.wizard.credentials_form import CredentialsForm
from desktop.wizard.client_port import as_port_error
from desktop.wizard.state import NetworkOption, Problem

Runner = Callable[..., None]


class EnrollDialog(QDialog):
    enrolled = Signal(object)

    def __init__(
        self,
        client: Caller,
        network: NetworkRecord,
        parent: QWidget | None = None,
        run: Runner = tasks.run_in_background,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.option = NetworkOption.of(network)
        self._run = run
        self.setWindowTitle(f"Enroll {self.option.display_name}")
        self.setMinimumWidth(520)
        self.form = CredentialsForm(self.option.credential_fields)
        self.problem = ProblemLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Enroll")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            muted_label(
                "RigPilot's worker keeps secret fields in your system keyring, never in a "
                "file, a log or a command line."
            )
        )
        layout.addWidget(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        values = {k: v.strip() for k, v in self.form.values().items() if v.strip()}
        for spec in self.option.credential_fields:
            if spec.required and spec.name not in values:
                message = f"{spec.title} is needed. {spec.how_to_obtain}"
                self.show_problem(Problem(message, spec.name))
                return
        self.buttons.setEnabled(False)
        self.problem.show_problem(None)
        request = EnrollRequest(network=self.option.id, credentials=values)
        call = self.client.call
        self._run(lambda: call(endpoints.ENROLL, request), self._on_done, self._on_error)

    def show_problem(self, problem: Problem) -> None:
        if self.form.show_problem(problem):
            self.problem.show_problem(None)
        else:
            self.problem.show_problem(problem)

    def _on_done(self, answer: NetworkChange) -> None:
        self.buttons.setEnabled(True)
        self.enrolled.emit(answer)
        self.accept()

    def _on_error(self, exc: Exception) -> None:
        self.buttons.setEnabled(True)
        error = as_port_error(exc)
        self.show_problem(Problem(error.message, error.field))
