"""The short pages: welcome, heat and games, electricity price, autostart, done."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from desktop.ui.wizard.base import (
    ProblemLabel,
    WizardPage,
    muted_label,
    with_problem,
    wrapped,
)
from desktop.wizard import preferences_step as prefs
from desktop.wizard.state import Problem, Step, WizardState

AGAIN = (
    "You can run this wizard again with the Setup wizard button at the top right of the "
    "window (Ctrl+Shift+S)."
)
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "PLN", "BRL", "INR")


def _bullets(lines: list[str]) -> str:
    return "".join(f"<p style='margin:0 0 6px 0'>• {html.escape(line)}</p>" for line in lines)


class WelcomePage(WizardPage):
    step = Step.WELCOME

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Put your idle GPU to paid work, safely.")
        title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        title.setWordWrap(True)
        self.body.addWidget(title)
        text = wrapped()
        text.setText(
            _bullets(
                [
                    "First, RigPilot checks this computer: the NVIDIA driver, CUDA, Docker and "
                    "the NVIDIA Container Toolkit. Anything missing comes with the fix in plain "
                    "words.",
                    "Then you choose the networks your GPU works for, and sign in to them. "
                    "The practice network needs no account: it shows the whole loop in minutes.",
                    "Last, a few choices: how hot is too hot, pausing for your games, your "
                    "electricity price (earnings are shown after it), and starting with your "
                    "computer.",
                ]
            )
        )
        self.body.addWidget(text)
        self.body.addWidget(
            muted_label(
                "Nothing is installed or changed on your computer by this wizard except your "
                f"own choices. {AGAIN}"
            )
        )
        self.finish_layout()


class DefaultsPage(WizardPage):
    """The thermal guard explained (from the settings in force), and the gaming choices."""

    step = Step.DEFAULTS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel("How RigPilot protects your card")
        heading.setStyleSheet("font-weight: 600;")
        self.thermal = wrapped()
        games = QLabel("Your games come first")
        games.setStyleSheet("font-weight: 600;")
        self.gaming = QCheckBox("&Stop the work when I start a game (recommended)")
        self.idle_only = QCheckBox("Work &only while I am away from the computer")
        self.quiet = QLineEdit()
        self.quiet.setMaximumWidth(90)
        self.quiet.setAccessibleName("Quiet period after a game, in minutes")
        quiet_row = QHBoxLayout()
        quiet_row.addWidget(QLabel("Resume"))
        quiet_row.addWidget(self.quiet)
        quiet_row.addWidget(QLabel("minutes after the game closes"))
        quiet_row.addStretch(1)
        self.quiet_problem = ProblemLabel()
        for widget in (heading, self.thermal, games, self.gaming, self.idle_only):
            self.body.addWidget(widget)
        self.body.addLayout(quiet_row)
        self.body.addWidget(self.quiet_problem)
        self.body.addWidget(
            muted_label(
                "RigPilot recognises popular games by their process; add your own in "
                "Settings. All limits can be changed there too."
            )
        )
        self.finish_layout()

    def show_state(self, state: WizardState) -> None:
        self.thermal.setText(_bullets(prefs.thermal_explained(state.settings)))
        self.gaming.setChecked(state.gaming_enabled)
        self.idle_only.setChecked(state.idle_only)
        if self.quiet.text() != state.quiet_period_min:
            self.quiet.setText(state.quiet_period_min)
        self.show_problem(state.problem)

    def show_problem(self, problem: Problem | None) -> None:
        in_place = problem is not None and problem.field == prefs.QUIET_KEY
        self.quiet_problem.show_problem(problem if in_place else None)
        self.problem.show_problem(None if in_place else problem)

    def collect(self, state: WizardState) -> WizardState:
        return prefs.set_gaming(
            state, self.gaming.isChecked(), self.idle_only.isChecked(), self.quiet.text()
        )


class ElectricityPage(WizardPage):
    step = Step.ELECTRICITY

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body.addWidget(
            wrapped(
                "What do you pay for electricity? RigPilot measures what your GPU draws "
                "while it works and shows every network's earnings after the power it cost, "
                "so you see what you really make."
            )
        )
        self.price = QLineEdit()
        self.price.setAccessibleName("Electricity price per kWh")
        self.price.setMaximumWidth(140)
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems(CURRENCIES)
        self.currency.setMaximumWidth(110)
        price_box, self.price_problem = with_problem(self.price)
        currency_box, self.currency_problem = with_problem(self.currency)
        form = QFormLayout()
        form.addRow("&Price per kWh", price_box)
        form.addRow("&Currency", currency_box)
        for label, field in ((0, self.price), (1, self.currency)):
            item = form.itemAt(label, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QLabel):
                widget.setBuddy(field)
        self.body.addLayout(form)
        self.body.addWidget(
            muted_label(
                "Your bill says it, often as cents per kWh: 32 c/kWh is 0.32. Networks pay in "
                "US dollars (or tokens valued in dollars); with another currency RigPilot shows "
                "the electricity cost in yours, next to the earnings."
            )
        )
        self.finish_layout()

    def show_state(self, state: WizardState) -> None:
        if self.price.text() != state.price_text:
            self.price.setText(state.price_text)
        if self.currency.currentText() != state.currency_text:
            self.currency.setCurrentText(state.currency_text)
        self.show_problem(state.problem)

    def show_problem(self, problem: Problem | None) -> None:
        field = problem.field if problem is not None else None
        self.price_problem.show_problem(problem if field == prefs.PRICE_KEY else None)
        self.currency_problem.show_problem(problem if field == prefs.CURRENCY_KEY else None)
        in_place = field in (prefs.PRICE_KEY, prefs.CURRENCY_KEY)
        self.problem.show_problem(None if in_place else problem)
        if field == prefs.PRICE_KEY:
            self.price.setFocus()
            self.price.selectAll()

    def collect(self, state: WizardState) -> WizardState:
        return prefs.set_electricity(state, self.price.text(), self.currency.currentText())


class AutostartPage(WizardPage):
    step = Step.AUTOSTART

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body.addWidget(
            wrapped(
                "RigPilot earns while you are away only if it is running. It can start by "
                "itself when you log in, quietly in the tray, without opening its window."
            )
        )
        self.autostart = QCheckBox("Start RigPilot in the &tray when I log in")
        self.body.addWidget(self.autostart)
        self.body.addWidget(
            muted_label(
                "On Linux this adds an entry to your desktop's autostart folder; on Windows "
                "a per-user Run entry; on macOS a LaunchAgent. No administrator rights are "
                "needed, and you can turn it off in Settings."
            )
        )
        self.finish_layout()

    def show_state(self, state: WizardState) -> None:
        self.autostart.setChecked(state.autostart)
        self.show_problem(state.problem)

    def collect(self, state: WizardState) -> WizardState:
        return prefs.set_autostart(state, self.autostart.isChecked())
