"""The checks page: the doctor's results as they come, each failure with its fix in plain
words, a Copy button for every command the fix quotes, and Re-check.

Signals:
    recheck_requested(): the user pressed Re-check.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.model import CheckResult, CheckStatus
from desktop.ui.wizard.base import (
    WizardPage,
    copy_to_clipboard,
    discard,
    muted_label,
    status_colour,
    wrapped,
)
from desktop.views.text import commands_in, plain
from desktop.wizard import checks_step
from desktop.wizard.state import Step, WizardState

STATUS_WORDS = {
    CheckStatus.PASS: "✔ Pass",
    CheckStatus.WARN: "⚠ Warning",
    CheckStatus.FAIL: "✘ Fail",
    CheckStatus.SKIP: "– Skipped",
}


class CommandLine(QWidget):
    """A command in a monospace box, with a Copy button next to it."""

    def __init__(self, command: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.command = command
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel(command)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setStyleSheet(
            "font-family: monospace; padding: 4px 6px; border-radius: 4px;"
            " background: palette(base);"
        )
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy this command, then paste it into a terminal")
        self.copy_button.setAccessibleName(f"Copy command {command}")
        self.copy_button.clicked.connect(self._on_copy)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)

    def _on_copy(self) -> None:
        copy_to_clipboard(self.command)
        self.copy_button.setText("Copied")


class CheckRow(QFrame):
    """One check: status word and colour, title, what was found, and the fix."""

    def __init__(self, result: CheckResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = result
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        top = QHBoxLayout()
        self.status = QLabel(STATUS_WORDS[result.status])
        self.status.setMinimumWidth(96)
        self.status.setStyleSheet(f"color: {status_colour(self, result.status)}; font-weight: 600;")
        title = QLabel(result.title)
        title.setStyleSheet("font-weight: 600;")
        top.addWidget(self.status)
        top.addWidget(title, 1)
        layout.addLayout(top)
        self.summary = wrapped(plain(result.summary), selectable=True)
        layout.addWidget(self.summary)
        self.fix: QLabel | None = None
        self.commands: list[CommandLine] = []
        if result.fix and result.status in (CheckStatus.FAIL, CheckStatus.WARN):
            self.fix = wrapped(f"How to fix: {plain(result.fix)}", selectable=True)
            layout.addWidget(self.fix)
            for command in commands_in(result.fix):
                line = CommandLine(command)
                self.commands.append(line)
                layout.addWidget(line)
        self.setAccessibleName(f"{result.title}: {STATUS_WORDS[result.status]}")


class ChecksPage(WizardPage):
    step = Step.CHECKS
    recheck_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        intro = muted_label(
            "RigPilot checks the NVIDIA driver, CUDA, Docker and the NVIDIA Container Toolkit. "
            "A problem only locks the networks that need that part; the practice network "
            "works on any computer."
        )
        self.headline = wrapped()
        self.headline.setStyleSheet("font-size: 11.5pt; font-weight: 600;")
        self.rows: dict[str, CheckRow] = {}
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 6, 0)
        self._list_layout.setSpacing(6)
        self._list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._list)
        self.recheck_button = QPushButton("&Re-check")
        self.recheck_button.setToolTip("Run the checks again, after fixing something")
        self.recheck_button.clicked.connect(self.recheck_requested.emit)
        self.running = muted_label("")
        bottom = QHBoxLayout()
        bottom.addWidget(self.recheck_button)
        bottom.addWidget(self.running, 1)
        self.body.addWidget(intro)
        self.body.addWidget(self.headline)
        self.body.addWidget(scroll, 1)
        self.body.addLayout(bottom)
        self.body.addWidget(self.problem)

    def show_state(self, state: WizardState) -> None:
        super().show_state(state)
        self.headline.setText(checks_step.headline(state))
        self.recheck_button.setEnabled(not state.checks_running)
        self.running.setText("Checking… this takes a few seconds." if state.checks_running else "")
        current = tuple(r.result for r in self.rows.values())
        if current != state.checks:
            self._rebuild(state.checks)

    def _rebuild(self, results: tuple[CheckResult, ...]) -> None:
        for row in self.rows.values():
            self._list_layout.removeWidget(row)
            discard(row)
        self.rows = {}
        # Problems first: what the user must act on is at the top, the rest below.
        order = {CheckStatus.FAIL: 0, CheckStatus.WARN: 1, CheckStatus.PASS: 2, CheckStatus.SKIP: 3}
        ranked = sorted(enumerate(results), key=lambda p: (order[p[1].status], p[0]))
        for position, (_i, result) in enumerate(ranked):
            row = CheckRow(result)
            self.rows[result.id] = row
            self._list_layout.insertWidget(position, row)
