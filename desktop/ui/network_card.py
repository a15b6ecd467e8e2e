"""One network's card on the Networks page: state, money, reputation, requirements, the
user's next step, and its buttons (Enroll / Pause / Resume / Remove).

Why apart from the page: the card is the part that says things; its state word comes from
the status's ``NetworkBrief`` when the app has one (the fresher: the user's hold shows at
once) and from the full record otherwise, always in ``desktop.views``' words. A network
RigPilot only lists (desktop/networks/listed.py) has no button at all: its card says what
joining takes, why RigPilot cannot join this computer to it, what to do instead, and where
that comes from.

Signals:
    action_requested(str, str): (network id, action) when a button is pressed; the action
        "demo" is the practice network's "Try the demo" where it cannot run here.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop import clock
from desktop.ipc.schema import MoneyFigures, NetworkBrief, PauseScope
from desktop.ipc.schema_networks import NetworkRecord
from desktop.model import CheckResult, CheckStatus, NodeState
from desktop.ui.wizard.base import discard, error_colour, muted_label, status_colour, wrapped
from desktop.ui.wizard.checks_page import CommandLine
from desktop.ui.wizard.choose_page import DEMO_HERE
from desktop.ui.wizard.requirements_view import needs_html, offers_demo, shortfalls_html
from desktop.views import money
from desktop.views.listing import LISTED_WORDS, listed_only, not_joinable
from desktop.views.notices import TRY_DEMO
from desktop.views.requirements import Fitness, judge
from desktop.views.states import Tone, Words, network_words
from desktop.views.text import DASH, commands_in, percent, plain

TONE_STATUS = {
    Tone.GOOD: CheckStatus.PASS,
    Tone.WARN: CheckStatus.WARN,
    Tone.BAD: CheckStatus.FAIL,
    Tone.OFF: CheckStatus.SKIP,
}


def state_words(record: NetworkRecord, brief: NetworkBrief | None) -> Words:
    """The card's state: the status's brief when there is one (it is the fresher)."""
    if listed_only(record.capabilities):
        return LISTED_WORDS
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
    return f"{gross} (after power {net})"


class NetworkCard(QFrame):
    """One network. Signals: action_requested(str, str): (network id, action)."""

    action_requested = Signal(str, str)

    def __init__(self, network: NetworkRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.network_id = network.network
        self.data = network
        self.brief: NetworkBrief | None = None
        self.checks: list[CheckResult] = []  # the doctor's latest run (NetworksPage)
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
            ("demo", TRY_DEMO),
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
        self.blurb = muted_label(network.description)
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
        self.note = wrapped(selectable=True)  # what the network said last, when it says more
        self.note.hide()
        layout.addWidget(self.note)
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

    @property
    def fitness(self) -> Fitness:
        """This computer against the network: the wizard's very judgement."""
        return judge(self.data.requirements, self.checks)

    def set_checks(self, checks: list[CheckResult]) -> None:
        self.checks = list(checks)
        self.update_data(self.data)

    def update_data(self, network: NetworkRecord) -> None:
        self.data = network
        self._show_state()
        self.blurb.setText(network.description)
        self.blurb.setVisible(bool(network.description))
        reason = not_joinable(network.capabilities, network.requirements)
        self.figures.setVisible(reason is None)
        if reason is not None:
            self._show_not_joinable(network, reason.why, reason.instead, reason.source, reason.url)
            return
        fit = self.fitness.fit
        self.buttons["enroll"].setEnabled(fit)
        self.buttons["enroll"].setToolTip(
            "" if fit else "This computer does not meet its requirements yet (see the card)"
        )
        self.figures.setText(
            f"Today: <b>{html.escape(_earned(network.earnings_today))}</b>"
            f" &nbsp;·&nbsp; Total: <b>{html.escape(_earned(network.earnings_total))}</b>"
            f" &nbsp;·&nbsp; Reputation: <b>{html.escape(reputation_text(network))}</b>"
        )
        self._show_requirements(network)
        self._show_next_step(network)
        said = network.message.strip()  # e.g. "a rental already running goes on until it ends"
        paused = network.held is not None or network.state is NodeState.PAUSED
        shown = said and said != network.next_step and network.enrolled and paused
        self.note.setText(said if shown else "")
        self.note.setVisible(bool(shown))

    def _show_not_joinable(
        self, network: NetworkRecord, why: str, instead: str, source: str, url: str
    ) -> None:
        """A listed-only network: why not, what to do instead, and the source."""
        self.requirements.setText(
            f"<b>Why RigPilot cannot join this computer to it:</b> {html.escape(why)}"
        )
        self.requirements.setVisible(True)
        lines = [f"<b>Instead:</b> {html.escape(instead)}"] if instead else []
        if source:
            lines.append(f"Source: {html.escape(source)}")
        if url:
            link = html.escape(url, quote=True)
            lines.append(f'<a href="{link}">{link}</a>')
        self.next_step.setText("<br>".join(lines))
        self.next_step.setVisible(bool(lines))
        self.note.hide()
        while self.commands.count():
            item = self.commands.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                discard(widget)

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
        if listed_only(network.capabilities):  # no button can do anything for it
            for button in self.buttons.values():
                button.setVisible(False)
            self.setAccessibleName(f"{name}: {words.text}")
            return
        self.buttons["enroll"].setVisible(not enrolled)
        self.buttons["pause"].setVisible(enrolled and held is None)
        self.buttons["resume"].setVisible(enrolled and held is not None)
        under_all = held is not None and held.scope == PauseScope.ALL
        self.buttons["resume"].setEnabled(not under_all)
        self.buttons["resume"].setToolTip(
            "All work is paused: press Resume at the top of the window" if under_all else ""
        )
        self.buttons["remove"].setVisible(enrolled)
        self.buttons["demo"].setVisible(not enrolled and offers_demo(self.network_id, self.fitness))
        for action, button in self.buttons.items():
            button.setAccessibleName(f"{action.capitalize()} {name}")
        self.setAccessibleName(f"{name}: {words.text}")

    def _show_requirements(self, network: NetworkRecord) -> None:
        """What it needs, and what is missing with the fixes (requirements_view)."""
        fitness = self.fitness
        needs = needs_html(fitness, self)
        if offers_demo(self.network_id, fitness) and not network.enrolled:  # the demo shows it
            missing = html.escape(DEMO_HERE)
        else:
            missing = shortfalls_html(fitness, "Missing here:", True)
        self.requirements.setText("<br>".join(t for t in (needs, missing) if t))
        self.requirements.setVisible(bool(needs))

    def _show_next_step(self, network: NetworkRecord) -> None:
        step = network.next_step
        action = network.action_required
        while self.commands.count():
            item = self.commands.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                discard(widget)
        lines = []
        told = {shortfall.plain_fix for shortfall in self.fitness.shortfalls}
        if step and plain(step) not in told:  # not the fix the card already shows
            lines.append(f"<b>Next step:</b> {html.escape(plain(step))}")
        if action is not None and action.message and action.message != step:
            lines.append(html.escape(plain(action.message)))
        if action is not None and action.url:
            url = html.escape(action.url, quote=True)
            lines.append(f'<a href="{url}">{url}</a>')
        if action is not None and action.code:
            lines.append(f"Code: <b>{html.escape(action.code)}</b>")
        self.next_step.setText("<br>".join(lines))
        self.next_step.setVisible(bool(lines))
        commands = commands_in(step)
        commands += [c for shortfall in self.fitness.shortfalls for c in shortfall.commands]
        if action is not None and action.command:
            commands.append(action.command)
        for command in dict.fromkeys(commands):
            self.commands.addWidget(CommandLine(command))
