"""The Networks page: a card per network with its state, earnings, reputation, requirements,
the user's next step, and one-click Enroll / Pause / Resume / Remove.

The list is ``GET /networks``, fetched when the page is shown and every 5 s while it is on
screen; each button is one API call in the background, then a refresh, so the card shows
what the worker did rather than what we hoped. What only the user can do (register once,
wait for approval, run a command) is written out as the card's "Next step", with the link
or the command to copy.

Signals:
    refreshed(list): a fresh network list was rendered (tests wait on it).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
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

from desktop.model import CheckStatus
from desktop.ui import tasks, text
from desktop.ui.wizard.base import discard, error_colour, muted_label, status_colour, wrapped
from desktop.ui.wizard.checks_page import CommandLine
from desktop.ui.wizard.choose_page import BLURBS
from desktop.ui.wizard.enroll_dialog import EnrollDialog
from desktop.wizard.checks_step import commands_in
from desktop.wizard.client_port import RequestClient, as_port_error

REFRESH_MS = 5000
Runner = Callable[..., None]

STATE_WORDS = {
    "not_installed": ("Not installed", CheckStatus.SKIP),
    "not_enrolled": ("Not enrolled", CheckStatus.SKIP),
    "pending_approval": ("Waiting for approval", CheckStatus.WARN),
    "offline": ("Offline", CheckStatus.FAIL),
    "starting": ("Starting", CheckStatus.WARN),
    "benchmarking": ("Benchmarking", CheckStatus.WARN),
    "idle": ("Ready, waiting for a job", CheckStatus.PASS),
    "busy": ("Working", CheckStatus.PASS),
    "paused": ("Paused", CheckStatus.WARN),
    "stopping": ("Stopping", CheckStatus.WARN),
    "blocked": ("Blocked", CheckStatus.FAIL),
    "error": ("Error", CheckStatus.FAIL),
    "unknown": ("Unknown", CheckStatus.SKIP),
}


def state_words(network: Mapping[str, Any]) -> tuple[str, CheckStatus]:
    if network.get("enrolled") and network.get("paused"):
        return STATE_WORDS["paused"]
    return STATE_WORDS.get(str(network.get("state") or "unknown"), STATE_WORDS["unknown"])


def reputation_text(network: Mapping[str, Any]) -> str:
    rep = network.get("reputation") or {}
    parts = []
    if isinstance(rep, Mapping) and rep.get("score") is not None:
        parts.append(f"score {text.num(rep['score']) or 0:.0f}")
    uptime = rep.get("uptime_pct") if isinstance(rep, Mapping) else None
    uptime = uptime if uptime is not None else network.get("uptime_pct")
    if uptime is not None:
        parts.append(f"{text.percent(uptime)} uptime")
    if isinstance(rep, Mapping) and rep.get("verified"):
        parts.append("verified")
    return ", ".join(parts) or text.DASH


def _earned(value: Any) -> str:
    if not isinstance(value, Mapping):
        return text.DASH
    gross, net = text.usd(value.get("gross_usd")), value.get("net_usd")
    return f"{gross} (after power {text.usd(net)})" if net is not None else gross


class NetworkCard(QFrame):
    """One network. Signals: action_requested(str, str): (network id, action)."""

    action_requested = Signal(str, str)

    def __init__(self, network: Mapping[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.network_id = str(network.get("network") or "")
        self.data: Mapping[str, Any] = {}
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

    def update_data(self, network: Mapping[str, Any]) -> None:
        self.data = network
        name = str(network.get("display_name") or self.network_id)
        self.name.setText(name)
        words, status = state_words(network)
        self.state.setText(f"● {words}")
        self.state.setStyleSheet(f"font-weight: 600; color: {status_colour(self, status)};")
        enrolled = bool(network.get("enrolled"))
        paused = bool(network.get("paused"))
        unmet = [
            r
            for r in network.get("requirements") or []
            if isinstance(r, Mapping) and r.get("status") == "fail"
        ]
        self.buttons["enroll"].setVisible(not enrolled)
        self.buttons["enroll"].setEnabled(not unmet)
        self.buttons["enroll"].setToolTip(
            "This computer does not meet its requirements yet (see the card)" if unmet else ""
        )
        self.buttons["pause"].setVisible(enrolled and not paused)
        self.buttons["resume"].setVisible(enrolled and paused)
        self.buttons["remove"].setVisible(enrolled)
        for action, button in self.buttons.items():
            button.setAccessibleName(f"{action.capitalize()} {name}")
        self.figures.setText(
            f"Today: <b>{html.escape(_earned(network.get('earnings_today')))}</b>"
            f" &nbsp;·&nbsp; Total: <b>{html.escape(_earned(network.get('earnings_total')))}</b>"
            f" &nbsp;·&nbsp; Reputation: <b>{html.escape(reputation_text(network))}</b>"
        )
        self._show_requirements(network)
        self._show_next_step(network)
        self.setAccessibleName(f"{name}: {words}")

    def _show_requirements(self, network: Mapping[str, Any]) -> None:
        parts, fixes = [], []
        for req in network.get("requirements") or []:
            if not isinstance(req, Mapping):
                continue
            failed = req.get("status") == "fail"
            colour = status_colour(self, CheckStatus.FAIL if failed else CheckStatus.PASS)
            title = html.escape(str(req.get("title") or req.get("id") or ""))
            parts.append(f"<span style='color:{colour}'>{'✘' if failed else '✔'}</span> {title}")
            fix = str(req.get("fix") or req.get("summary") or "")
            if failed and fix != network.get("next_step"):  # no need to say it twice
                fixes.append(f"<br>{title}: {html.escape(fix)}")
        self.requirements.setText(
            ("Requirements: " + " &nbsp; ".join(parts) + "".join(fixes)) if parts else ""
        )
        self.requirements.setVisible(bool(parts))

    def _show_next_step(self, network: Mapping[str, Any]) -> None:
        step = str(network.get("next_step") or "")
        action = network.get("action_required")
        action = action if isinstance(action, Mapping) else {}
        while self.commands.count():
            item = self.commands.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                discard(widget)
        lines = []
        if step:
            lines.append(f"<b>Next step:</b> {html.escape(step)}")
        if action.get("message") and action.get("message") != step:
            lines.append(html.escape(str(action["message"])))
        if action.get("url"):
            url = html.escape(str(action["url"]), quote=True)
            lines.append(f'<a href="{url}">{url}</a>')
        if action.get("code"):
            lines.append(f"Code: <b>{html.escape(str(action['code']))}</b>")
        self.next_step.setText("<br>".join(lines))
        self.next_step.setVisible(bool(lines))
        commands = commands_in(step)
        if action.get("command"):
            commands.append(str(action["command"]))
        for command in dict.fromkeys(commands):
            self.commands.addWidget(CommandLine(command))


class NetworksPage(QWidget):
    refreshed = Signal(list)

    def __init__(
        self,
        client: RequestClient,
        parent: QWidget | None = None,
        run: Runner = tasks.run_in_background,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self._run = run
        self.cards: dict[str, NetworkCard] = {}
        self.networks: list[dict[str, Any]] = []
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
        self._run(lambda: self.client.request("GET", "/networks"), self._on_list, self._on_fail)

    def _on_list(self, answer: dict[str, Any]) -> None:
        self._loading = False
        self.error.hide()
        self.set_networks([n for n in answer.get("networks") or [] if isinstance(n, dict)])

    def _on_fail(self, exc: Exception) -> None:
        self._loading = False
        self._show_error(as_port_error(exc).message)

    def _show_error(self, message: str) -> None:
        self.error.setStyleSheet(f"color: {error_colour(self)};")
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def set_networks(self, networks: list[dict[str, Any]]) -> None:
        self.networks = networks
        ids = [str(n.get("network") or "") for n in networks]
        for gone in [i for i in self.cards if i not in ids]:
            old = self.cards.pop(gone)
            self._list_layout.removeWidget(old)
            discard(old)
        for position, network in enumerate(networks):
            network_id = ids[position]
            card = self.cards.get(network_id)
            if card is None:
                card = NetworkCard(network)
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

        def done(_answer: dict[str, Any]) -> None:
            card.set_busy(False)
            words = {"pause": "Paused", "resume": "Resumed", "remove": "Removed"}[action]
            card.show_message(f"{words}.", error=False)
            self.refresh()

        def failed(exc: Exception) -> None:
            card.set_busy(False)
            card.show_message(as_port_error(exc).message)

        path = f"/networks/{network_id}/{action}"
        self._run(lambda: self.client.request("POST", path, json={}), done, failed)

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
        fields = [f for f in card.data.get("credential_fields") or [] if isinstance(f, dict)]
        if any(f.get("required") for f in fields):
            dialog = EnrollDialog(self.client, card.data, self, self._run)
            dialog.enrolled.connect(lambda answer: self._on_enrolled(card, answer))
            self.enroll_dialog = dialog
            dialog.open()
            return
        card.set_busy(True)
        card.show_message("")
        path = f"/networks/{card.network_id}/enroll"

        def failed(exc: Exception) -> None:
            card.set_busy(False)
            card.show_message(as_port_error(exc).message)

        self._run(
            lambda: self.client.request("POST", path, json={"credentials": {}}),
            lambda answer: self._on_enrolled(card, answer),
            failed,
        )

    def _on_enrolled(self, card: NetworkCard, answer: Mapping[str, Any]) -> None:
        card.set_busy(False)
        action = answer.get("action_required") or {}
        todo = action.get("message") if isinstance(action, Mapping) else ""
        card.show_message(f"Enrolled. Next: {todo}" if todo else "Enrolled.", error=False)
        self.refresh()
