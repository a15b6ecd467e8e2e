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

Signals:
    refreshed(list): a fresh network list was rendered (tests wait on it).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
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

from desktop import clock
from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller
from desktop.ipc.schema import (
    MoneyFigures,
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
from desktop.model import CheckStatus
from desktop.ui import tasks
from desktop.ui.wizard.base import discard, error_colour, muted_label, status_colour, wrapped
from desktop.ui.wizard.checks_page import CommandLine
from desktop.ui.wizard.choose_page import BLURBS
from desktop.ui.wizard.enroll_dialog import EnrollDialog
from desktop.views import money
from desktop.views.states import Tone, Words, network_words
from desktop.views.text import DASH, percent
from desktop.wizard.checks_step import commands_in
from desktop.wizard.client_port import as_port_error

REFRESH_MS = 5000
OPERATION_POLL_MS = 1000
Runner = Callable[..., None]
TONE_STATUS = {
    Tone.GOOD: CheckStatus.PASS,
    Tone.WARN: CheckStatus.WARN,
    Tone.BAD: CheckStatus.FAIL,
    Tone.OFF: CheckStatus.SKIP,
}


def state_words(record: NetworkRecord, brief: NetworkBrief | None) -> Words:
    """The card's state: the status's brief when there is one (it is the fresher)."""
    now = clock.now()
    if brief is not None:
        return network_words(brief.state, brief.enrolled, brief.held, brief.operation, now)
    return network_words(record.state, record.enrolled, record.held, record.operation, now)


def reputation_text(network: NetworkRecord) -> str:
    rep = network.reputation
    parts = []
    if rep is not None and rep.score is not None:
        parts.append(f"score {rep.score:.0f}")
    uptime = rep.uptime_pct if rep is not None and rep.uptime_pct is not None else None
    uptime = uptime if uptime is not None else network.uptime_pct
    if uptime is not None:
        parts.append(f"{percent(uptime)} uptime")
    if rep is not None and rep.verified:
        parts.append("verified")
    return ", ".join(parts) or DASH


def _earned(value: MoneyFigures) -> str:
    gross, net = money.gross_and_net(value)
    return f"{gross} (after power {net})" if net is not None else gross


class NetworkCard(QFrame):
    """One network. Signals: action_requested(str, str): (network id, action)."""

    action_requested = Signal(str, str)

    def __init__(self, network: NetworkRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.network_id = network.network
        self.data = network
        self.brief: NetworkBrief | None = None
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        top = QHBoxLayout()
        self.name = QLabel()
        self.name.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.state = QLabel()
        self.state.setStyleSheet("font-weight: 600;")
        top.addWidget(self.name)
        top.addWidget(self.state)
        top.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        for action, label in (
            ("enroll", "&Enroll"),
            ("pause", "&Pause"),
            ("resume", "&Resume"),
            ("remove", "Remove"),
        ):
            button = QPushButton(label.replace("&", "") if action == "remove" else label)
            button.clicked.connect(lambda _c=False, a=action: self._on_button(a))
            self.buttons[action] = button
            top.addWidget(button)
        layout.addLayout(top)
        self.blurb = muted_label(BLURBS.get(self.network_id, ""))
        self.blurb.setVisible(bool(self.blurb.text()))
        layout.addWidget(self.blurb)
        self.figures = QLabel()
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.figures)
        self.requirements = wrapped(selectable=True)
        self.requirements.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.requirements)
        self.next_step = wrapped(selectable=True)
        self.next_step.setTextFormat(Qt.TextFormat.RichText)
        self.next_step.setOpenExternalLinks(True)
        layout.addWidget(self.next_step)
        self.commands = QVBoxLayout()
        layout.addLayout(self.commands)
        self.message = wrapped(selectable=True)
        self.message.hide()
        layout.addWidget(self.message)
        self.update_data(network)

    def _on_button(self, action: str) -> None:
        self.action_requested.emit(self.network_id, action)

    def set_busy(self, busy: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(not busy)
        if not busy:
            self.update_data(self.data)  # Enroll stays off while requirements are unmet

    def show_message(self, message: str, error: bool = True) -> None:
        colour = error_colour(self) if error else status_colour(self, CheckStatus.PASS)
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setText(message)
        self.message.setVisible(bool(message))

    def update_data(self, network: NetworkRecord) -> None:
        self.data = network
        self._show_state()
        unmet = [r for r in network.requirements if r.status is CheckStatus.FAIL]
        self.buttons["enroll"].setEnabled(not unmet)
        self.buttons["enroll"].setToolTip(
            "This computer does not meet its requirements yet (see the card)" if unmet else ""
        )
        self.figures.setText(
            f"Today: <b>{html.escape(_earned(network.earnings_today))}</b>"
            f" &nbsp;·&nbsp; Total: <b>{html.escape(_earned(network.earnings_total))}</b>"
            f" &nbsp;·&nbsp; Reputation: <b>{html.escape(reputation_text(network))}</b>"
        )
        self._show_requirements(network)
        self._show_next_step(network)

    def update_brief(self, brief: NetworkBrief | None) -> None:
        """The status's view of this network (the user's hold, the agent's state)."""
        self.brief = brief
        self._show_state()

    def _show_state(self) -> None:
        network, brief = self.data, self.brief
        name = network.display_name or self.network_id
        self.name.setText(name)
        words = state_words(network, brief)
        self.state.setText(f"● {words.text}")
        colour = status_colour(self, TONE_STATUS[words.tone])
        self.state.setStyleSheet(f"font-weight: 600; color: {colour};")
        self.state.setToolTip(words.detail)
        enrolled = brief.enrolled if brief is not None else network.enrolled
        held = brief.held if brief is not None else network.held
        self.buttons["enroll"].setVisible(not enrolled)
        self.buttons["pause"].setVisible(enrolled and held is None)
        self.buttons["resume"].setVisible(enrolled and held is not None)
        under_all = held is not None and held.scope == PauseScope.ALL
        self.buttons["resume"].setEnabled(not under_all)
        self.buttons["resume"].setToolTip(
            "All work is paused: press Resume at the top of the window" if under_all else ""
        )
        self.buttons["remove"].setVisible(enrolled)
        for action, button in self.buttons.items():
            button.setAccessibleName(f"{action.capitalize()} {name}")
        self.setAccessibleName(f"{name}: {words.text}")

    def _show_requirements(self, network: NetworkRecord) -> None:
        parts, fixes = [], []
        for req in network.requirements:
            failed = req.status is CheckStatus.FAIL
            colour = status_colour(self, CheckStatus.FAIL if failed else CheckStatus.PASS)
            title = html.escape(req.title or req.id)
            parts.append(f"<span style='color:{colour}'>{'✘' if failed else '✔'}</span> {title}")
            fix = req.fix or req.summary
            if failed and fix != network.next_step:  # no need to say it twice
                fixes.append(f"<br>{title}: {html.escape(fix)}")
        self.requirements.setText(
            ("Requirements: " + " &nbsp; ".join(parts) + "".join(fixes)) if parts else ""
        )
        self.requirements.setVisible(bool(parts))

    def _show_next_step(self, network: NetworkRecord) -> None:
        step = network.next_step
        action = network.action_required
        while self.commands.count():
            item = self.commands.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                discard(widget)
        lines = []
        if step:
            lines.append(f"<b>Next step:</b> {html.escape(step)}")
        if action is not None and action.message and action.message != step:
            lines.append(html.escape(action.message))
        if action is not None and action.url:
            url = html.escape(action.url, quote=True)
            lines.append(f'<a href="{url}">{url}</a>')
        if action is not None and action.code:
            lines.append(f"Code: <b>{html.escape(action.code)}</b>")
        self.next_step.setText("<br>".join(lines))
        self.next_step.setVisible(bool(lines))
        commands = commands_in(step)
        if action is not None and action.command:
            commands.append(action.command)
        for command in dict.fromkeys(commands):
            self.commands.addWidget(CommandLine(command))


class NetworksPage(QWidget):
    """Signals: refreshed(list); status_wanted(): a command changed the worker's state
    (the app refreshes its status at once, so every view shows it)."""

    refreshed = Signal(list)
    status_wanted = Signal()

    def __init__(
        self,
        client: Caller,
        parent: QWidget | None = None,
        run: Runner = tasks.run_in_background,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self._run = run
        self.cards: dict[str, NetworkCard] = {}
        self.networks: list[NetworkRecord] = []
        self.briefs: dict[str, NetworkBrief] = {}
        self._loading = False
        self.enroll_dialog: EnrollDialog | None = None
        title = QLabel("Networks")
        title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
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
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    # --- loading ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.refresh()
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        self._timer.stop()

    def refresh(self) -> None:
        if self._loading:
            return
        self._loading = True
        call = self.client.call
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

    def _follow(self, card: NetworkCard, operation: Operation) -> None:
        """Show a long action's progress on the card until it ends (no timeout to hit)."""
        card.set_busy(True)
        card.show_message(f"{operation.message}…", error=False)
        if operation.state is not OperationState.RUNNING:
            card.set_busy(False)
            failed = operation.state is OperationState.FAILED
            card.show_message(operation.message, error=failed)
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
                lambda answer: self._follow(card, answer.operation),
                lost,
            )

        QTimer.singleShot(OPERATION_POLL_MS, again)

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
            self._follow(card, answer.operation)
            return
        todo = answer.action_required.message if answer.action_required else ""
        card.show_message(f"Enrolled. Next: {todo}" if todo else "Enrolled.", error=False)
        self.refresh()
        self.status_wanted.emit()
