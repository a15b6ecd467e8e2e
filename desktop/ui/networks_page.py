"""The Networks page: a card per network with its state, earnings, reputation, requirements,
the user's next step, and one-click Enroll / Pause / Resume / Remove.

The list is ``GET /networks``, fetched when the page is shown and every 5 s while it is on
screen; the state word comes from the app's status (``NetworkBrief``, every 2 s and right
after a command), in the words of ``desktop.views``, so the card, the header and the tray
never disagree about a pause. Each button is one typed API call in the background; a
network is paused with ``POST /pause`` of scope "network". A removal that goes on in the
background (a graceful stop) shows its progress on the card until it ends. What only the
user can do (register once, wait for approval, run a command) is written out as the card's
"Next step", with the link or the command to copy.

The requirements are judged as the setup wizard judges them (views.requirements.judge):
the worker's view of each network and the doctor's latest run, which the page starts
itself once (and on Refresh) unless the wizard just ran one (``set_checks``).

Signals:
    refreshed(list): a fresh network list was rendered (tests wait on it).
    checked(list): the doctor's results arrived and the cards show them.
    demo_requested(): "Try the demo" on the practice network's card.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller
from desktop.ipc.schema import (
    NetworkBrief,
    Operation,
    OperationState,
    PauseRequest,
    PauseScope,
    ResumeRequest,
    StatusAnswer,
)
from desktop.ipc.schema_networks import (
    EnrollRequest,
    NetworkChange,
    NetworkRecord,
    NetworkRef,
    NetworksAnswer,
    OperationRef,
)
from desktop.model import CheckResult
from desktop.ui import tasks
from desktop.ui.estimates_view import EstimatesView
from desktop.ui.network_card import NetworkCard
from desktop.ui.wizard.base import discard, error_colour, muted_label, wrapped
from desktop.ui.wizard.enroll_dialog import EnrollDialog
from desktop.wizard.client_port import as_port_error

REFRESH_MS = 5000
OPERATION_POLL_MS = 1000
Runner = Callable[..., None]


class NetworksPage(QWidget):
    """Signals: refreshed(list); status_wanted(): a command changed the worker's state
    (the app refreshes its status at once, so every view shows it)."""

    refreshed = Signal(list)
    status_wanted = Signal()
    checked = Signal(list)
    demo_requested = Signal()

    def __init__(
        self,
        client: Caller,
        parent: QWidget | None = None,
        run: Runner = tasks.run_in_background,
        doctor: Callable[[], list[CheckResult]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        # The page owns its calls: an answer that comes back after the page (and its cards)
        # are gone is dropped, not handed to a deleted card (tasks.run_in_background's owner).
        self._run = partial(run, owner=self) if run is tasks.run_in_background else run
        self._doctor = doctor or _run_doctor
        self.checks: list[CheckResult] = []
        self._checking = False
        self._checked_once = False
        self.cards: dict[str, NetworkCard] = {}
        self.networks: list[NetworkRecord] = []
        self.briefs: dict[str, NetworkBrief] = {}
        self._loading = False
        self.enroll_dialog: EnrollDialog | None = None
        title = QLabel("Networks")
        title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.refresh_button.clicked.connect(self.run_checks)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.refresh_button)
        self.status = muted_label(
            "Where your GPU works. Enroll a network once; RigPilot starts it, pauses it for "
            "your games and heat, and counts what it earns."
        )
        self.error = wrapped(selectable=True)
        self.error.hide()
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 6, 0)
        self._list_layout.setSpacing(10)
        self._list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(scroll, 1)
        self.estimates = EstimatesView()
        layout.addWidget(self.estimates)
        self._estimated = False
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    # --- loading ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.refresh()
        if not self._checked_once:
            self.run_checks()
        self._timer.start()

    def run_checks(self) -> None:
        """Run the setup doctor (a child process, a few seconds) in the background."""
        if self._checking:
            return
        self._checking = True

        def failed(exc: Exception) -> None:
            self._checking = False  # the worker's judgement alone stays on the cards

        tasks.run_in_background(self._doctor, self._on_checks, failed, owner=self)

    def _on_checks(self, checks: list[CheckResult]) -> None:
        self._checking = False
        self.set_checks(checks)

    def set_checks(self, checks: list[CheckResult]) -> None:
        """The doctor's latest results (this page's run, or the wizard's)."""
        self._checked_once = True
        self.checks = list(checks)
        for card in self.cards.values():
            card.set_checks(self.checks)
        self.checked.emit(self.checks)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        self._timer.stop()
        self._estimated = False

    def refresh(self) -> None:
        if self._loading:
            return
        self._loading = True
        call = self.client.call
        if not self._estimated:  # recorded market data: once a showing is enough
            self._estimated = True
            self._run(
                lambda: call(endpoints.ESTIMATES),
                self.estimates.show_answer,
                lambda exc: self.estimates.show_error(str(exc)),
            )
        self._run(lambda: call(endpoints.NETWORKS), self._on_list, self._on_fail)

    def _on_list(self, answer: NetworksAnswer) -> None:
        self._loading = False
        self.error.hide()
        self.set_networks(list(answer.networks))

    def on_status(self, status: StatusAnswer) -> None:
        """The app's status: each card's state follows the user's holds at once."""
        self.briefs = {b.network: b for b in status.networks}
        for network_id, card in self.cards.items():
            card.update_brief(self.briefs.get(network_id))

    def _on_fail(self, exc: Exception) -> None:
        self._loading = False
        self._show_error(as_port_error(exc).message)

    def _show_error(self, message: str) -> None:
        self.error.setStyleSheet(f"color: {error_colour(self)};")
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def set_networks(self, networks: list[NetworkRecord]) -> None:
        self.networks = networks
        ids = [n.network for n in networks]
        for gone in [i for i in self.cards if i not in ids]:
            old = self.cards.pop(gone)
            self._list_layout.removeWidget(old)
            discard(old)
        for position, network in enumerate(networks):
            network_id = ids[position]
            card = self.cards.get(network_id)
            if card is None:
                card = NetworkCard(network)
                card.set_checks(self.checks)
                card.update_brief(self.briefs.get(network_id))
                card.action_requested.connect(self._on_action)
                self.cards[network_id] = card
                self._list_layout.insertWidget(position, card)
            else:
                card.update_data(network)
        self.refreshed.emit(networks)

    # --- actions ----------------------------------------------------------------------

    def _on_action(self, network_id: str, action: str) -> None:
        card = self.cards[network_id]
        if action == "demo":
            self.demo_requested.emit()
            return
        if action == "enroll":
            self._enroll(card)
            return
        if action == "remove" and not self._confirm_remove(card):
            return
        card.set_busy(True)
        card.show_message("")

        def done(answer: Any) -> None:
            card.set_busy(False)
            if isinstance(answer, NetworkChange) and answer.accepted and answer.operation:
                self._follow(card, answer.operation)
                return
            words = {"pause": "Paused", "resume": "Resumed", "remove": "Removed"}[action]
            card.show_message(f"{words}.", error=False)
            self.refresh()
            self.status_wanted.emit()

        def failed(exc: Exception) -> None:
            card.set_busy(False)
            card.show_message(as_port_error(exc).message)

        call = self.client.call
        if action == "pause":
            paused = PauseRequest(scope=PauseScope.NETWORK, network=network_id)
            self._run(lambda: call(endpoints.PAUSE, paused), done, failed)
        elif action == "resume":
            resumed = ResumeRequest(scope=PauseScope.NETWORK, network=network_id)
            self._run(lambda: call(endpoints.RESUME, resumed), done, failed)
        else:
            ref = NetworkRef(network=network_id)
            self._run(lambda: call(endpoints.REMOVE, ref), done, failed)

    def _follow(self, card: NetworkCard, operation: Operation, done: str = "") -> None:
        """Show a long action's progress on the card until it ends (no timeout to hit);
        ``done`` leads the last message (what already happened: "Enrolled.")."""
        lead = f"{done} " if done else ""
        card.set_busy(True)
        card.show_message(f"{lead}{operation.message}…", error=False)
        if operation.state is not OperationState.RUNNING:
            card.set_busy(False)
            failed = operation.state is OperationState.FAILED
            card.show_message(f"{lead}{operation.message}.", error=failed)
            self.refresh()
            self.status_wanted.emit()
            return
        ref = OperationRef(id=operation.id)
        call = self.client.call

        def lost(exc: Exception) -> None:
            card.set_busy(False)
            card.show_message(as_port_error(exc).message)

        def again() -> None:
            self._run(
                lambda: call(endpoints.OPERATION, ref),
                lambda answer: self._follow(card, answer.operation, done),
                lost,
            )

        QTimer.singleShot(OPERATION_POLL_MS, self, again)  # not after the page is gone

    def _confirm_remove(self, card: NetworkCard) -> bool:
        name = card.name.text()
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(f"Remove {name}")
        box.setText(f"Remove {name} from this computer?")
        box.setInformativeText(
            "RigPilot stops it and forgets its credentials (they are deleted from your "
            "keyring). Its earnings history stays. You can enroll it again later."
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is remove

    def _enroll(self, card: NetworkCard) -> None:
        """One click when the network asks for nothing required; else the credentials form."""
        if any(f.required for f in card.data.credential_fields):
            dialog = EnrollDialog(self.client, card.data, self, self._run)
            dialog.enrolled.connect(lambda answer: self._on_enrolled(card, answer))
            self.enroll_dialog = dialog
            dialog.open()
            return
        card.set_busy(True)
        card.show_message("")
        request = EnrollRequest(network=card.network_id)

        def failed(exc: Exception) -> None:
            card.set_busy(False)
            card.show_message(as_port_error(exc).message)

        call = self.client.call
        self._run(
            lambda: call(endpoints.ENROLL, request),
            lambda answer: self._on_enrolled(card, answer),
            failed,
        )

    def _on_enrolled(self, card: NetworkCard, answer: NetworkChange) -> None:
        card.set_busy(False)
        if answer.accepted and answer.operation is not None:
            self._follow(card, answer.operation, "Enrolled.")
            return
        todo = answer.action_required.message if answer.action_required else ""
        card.show_message(f"Enrolled. Next: {todo}" if todo else "Enrolled.", error=False)
        self.refresh()
        self.status_wanted.emit()


def _run_doctor() -> list[CheckResult]:
    from desktop.wizard.doctor_run import run_doctor

    return run_doctor(False)
