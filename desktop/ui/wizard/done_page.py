"""The wizard's last page: what was set up, the steps left to the user, and, on a computer
that cannot earn yet, what is missing (``desktop.wizard.readiness``) instead of "All set"."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.model import CheckStatus
from desktop.ui.wizard.base import WizardPage, discard, muted_label, status_colour, wrapped
from desktop.ui.wizard.checks_page import CommandLine
from desktop.ui.wizard.simple_pages import AGAIN
from desktop.views.notices import TRY_DEMO
from desktop.wizard import readiness
from desktop.wizard.state import Step, WizardState


def choices_in_force(state: WizardState) -> list[str]:
    """The settings the wizard asked about, as the worker confirmed them (every key; none
    when the worker's settings could not be read)."""
    s = state.settings
    if not s:
        return ["The settings could not be read from the worker; Settings shows them."]
    minutes = f"{s['gaming.quiet_period_s'] / 60:g} min"
    out = [
        f"Games: work stops when a game starts and resumes {minutes} after it closes."
        if s["gaming.enabled"]
        else "Games: RigPilot does not watch for games."
    ]
    if s["gaming.idle_only"]:
        out.append("Works only while you are away from the computer.")
    price = s["electricity.price_per_kwh"]
    out.append(f"Electricity: {price:g} {s['electricity.currency']} per kWh.")
    out.append(
        "Starts in the tray when you log in."
        if s["autostart"]
        else "Does not start by itself: open RigPilot when you want it to work."
    )
    return out


DEMO_MEANWHILE = "Meanwhile, see RigPilot at work on a simulated GPU."


class DonePage(WizardPage):
    """What was set up, and the steps only the user can still take; on a computer that
    cannot earn yet, what is missing first (desktop.wizard.readiness), with "Try the demo"
    when the GPU is what is missing.

    Signals:
        demo_requested(): "Try the demo".
    """

    step = Step.DONE
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.missing_box = QVBoxLayout()
        self.missing_box.setSpacing(6)
        self.body.addLayout(self.missing_box)
        self.demo_button = QPushButton(TRY_DEMO)
        self.demo_button.clicked.connect(self.demo_requested.emit)
        self.summary = wrapped(selectable=True)
        self.body.addWidget(self.summary)
        self.steps = QVBoxLayout()
        self.body.addLayout(self.steps)
        self.body.addWidget(
            muted_label(
                "The dashboard shows your GPU at work; the Networks page shows each network's "
                f"state and earnings. {AGAIN}"
            )
        )
        self.finish_layout()

    def _show_missing(self, state: WizardState) -> None:
        """Each missing piece: its name, its fix, the commands to copy, and "Try the demo"
        under a missing GPU."""
        missing = readiness.missing_to_earn(state)
        self.demo_button.setParent(None)  # kept: placed again under the GPU, if missing
        _clear(self.missing_box)
        if missing:
            self.missing_box.addWidget(wrapped("This computer cannot earn yet. What is missing:"))
        bad = status_colour(self, CheckStatus.FAIL)
        for item in missing:
            label = wrapped(selectable=True)
            title = html.escape(item.title)
            label.setText(f"<b style='color:{bad}'>✘ {title}</b><br>{html.escape(item.text)}")
            self.missing_box.addWidget(label)
            for command in item.commands:
                self.missing_box.addWidget(CommandLine(command))
            if item.demo:
                row = QWidget()
                line = QHBoxLayout(row)
                line.setContentsMargins(0, 0, 0, 6)
                line.addWidget(self.demo_button)
                line.addWidget(muted_label(DEMO_MEANWHILE), 1)
                self.missing_box.addWidget(row)
        self.demo_button.setVisible(any(m.demo for m in missing))

    def show_state(self, state: WizardState) -> None:
        self._show_missing(state)
        ok = status_colour(self, CheckStatus.PASS)
        lines = []
        for outcome in state.enrollments:
            option = state.network(outcome.network)
            name = html.escape(option.display_name if option else outcome.network)
            if outcome.ok:
                lines.append(f"<p><span style='color:{ok}'>✔</span> <b>{name}</b> enrolled.</p>")
        for network_id in state.skipped:
            option = state.network(network_id)
            name = html.escape(option.display_name if option else network_id)
            lines.append(f"<p>– <b>{name}</b> skipped: enroll it later on the Networks page.</p>")
        before = [
            o.display_name
            for o in state.networks
            if o.enrolled and not any(e.network == o.id for e in state.enrollments)
        ]
        for name in before:
            lines.append(
                f"<p><span style='color:{ok}'>✔</span> <b>{html.escape(name)}</b> "
                "enrolled (before this setup).</p>"
            )
        choices = "".join(f"<li>{html.escape(c)}</li>" for c in choices_in_force(state))
        lines.append(f"<p>Your choices, as RigPilot's worker saved them:</p><ul>{choices}</ul>")
        self.summary.setText("".join(lines))
        _clear(self.steps)
        for outcome in state.enrollments:
            if not (outcome.ok and (outcome.message or outcome.url or outcome.command)):
                continue
            option = state.network(outcome.network)
            name = option.display_name if option else outcome.network
            self.steps.addWidget(wrapped(f"Still to do for {name}: {outcome.message}", True))
            if outcome.url:
                url = html.escape(outcome.url, quote=True)
                link = QLabel(f'<a href="{url}">{url}</a>')
                link.setOpenExternalLinks(True)
                self.steps.addWidget(link)
            if outcome.command:
                self.steps.addWidget(CommandLine(outcome.command))
        self.show_problem(state.problem)


def _clear(layout: QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            discard(widget)
