"""What every wizard page shares: a heading, an in-place problem line, colours per status.

A page renders a ``WizardState`` (``show_state``) and folds its inputs back into one
(``collect``) through the Qt-free step functions; it never calls the worker itself.
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.model import CheckStatus
from desktop.ui import theme
from desktop.views.rig import RigState
from desktop.views.text import plain
from desktop.wizard.state import Problem, Step, WizardState


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


def status_colour(widget: QWidget, status: CheckStatus) -> str:
    """Green / amber / red / grey, readable on the theme in force."""
    t = theme.DARK if is_dark(widget) else theme.LIGHT
    return {
        CheckStatus.PASS: t.states[RigState.EARNING],
        CheckStatus.WARN: t.states[RigState.PAUSED],
        CheckStatus.FAIL: t.states[RigState.ERROR],
        CheckStatus.SKIP: t.muted,
    }[status]


def error_colour(widget: QWidget) -> str:
    return status_colour(widget, CheckStatus.FAIL)


def muted_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label


def wrapped(text: str = "", selectable: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def discard(widget: QWidget) -> None:
    """Take a widget off screen now and delete it later (a bare deleteLater leaves it
    painted, over its replacement, until the event loop comes round)."""
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


def copy_to_clipboard(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class ProblemLabel(QLabel):
    """The red line under an input (or a page) that says what is wrong and what is allowed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName("Problem")
        self.hide()

    def show_problem(self, problem: Problem | None) -> None:
        if problem is None or not problem.message:
            self.clear()
            self.hide()
            return
        text = plain(problem.message)
        if problem.allowed and problem.allowed not in problem.message:
            text += f"\nAllowed: {plain(problem.allowed)}."
        self.setStyleSheet(f"color: {error_colour(self)};")
        self.setText(text)
        self.show()


def with_problem(editor: QWidget) -> tuple[QWidget, ProblemLabel]:
    """An input with its own problem line right under it (for a form row)."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(3)
    column.addWidget(editor)
    problem = ProblemLabel()
    column.addWidget(problem)
    return box, problem


class WizardPage(QWidget):
    """Base of the pages: ``step`` names the view of ``desktop.wizard.flow`` it renders."""

    step: ClassVar[Step]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(10)
        self.problem = ProblemLabel()

    def finish_layout(self) -> None:
        """Put the page-wide problem line at the bottom, under a stretch."""
        self.body.addStretch(1)
        self.body.addWidget(self.problem)

    def show_state(self, state: WizardState) -> None:
        self.show_problem(state.problem)

    def show_problem(self, problem: Problem | None) -> None:
        self.problem.show_problem(problem)

    def collect(self, state: WizardState) -> WizardState:
        return state
