"""The panel that takes the dashboard's place when there is nothing it could show.

It lays out a ``desktop.views.notices.Notice``: a heading, one sentence with the fix, a
Copy button per command the fix quotes, the main button ("Try the demo", "Stop it and
start RigPilot") and a quieter line under it. Empty charts beside an active "Pause all"
told a newcomer nothing; this says what is wrong and what to do next.

Signals:
    action_requested(str): the main button was pressed; carries the notice's key.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.ui.wizard.base import discard, muted_label, wrapped
from desktop.ui.wizard.checks_page import CommandLine
from desktop.views.notices import Notice


class NoticePanel(QWidget):
    action_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notice: Notice | None = None
        card = QFrame()
        card.setObjectName("card")
        card.setMaximumWidth(760)
        self.title = QLabel()
        self.title.setObjectName("noticeTitle")
        self.title.setStyleSheet("font-size: 17pt; font-weight: 600;")
        self.title.setWordWrap(True)
        self.text = wrapped(selectable=True)
        self.text.setStyleSheet("font-size: 11pt;")
        self.commands = QVBoxLayout()
        self.button = QPushButton()
        self.button.setDefault(True)
        self.button.setMinimumWidth(200)
        self.button.clicked.connect(self._on_button)
        self.more = muted_label()
        self.busy = muted_label()
        self.busy.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.button)
        buttons.addWidget(self.busy, 1)
        column = QVBoxLayout(card)
        column.setContentsMargins(28, 24, 28, 24)
        column.setSpacing(12)
        column.addWidget(self.title)
        column.addWidget(self.text)
        column.addLayout(self.commands)
        column.addSpacing(6)
        column.addLayout(buttons)
        column.addWidget(self.more)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 4)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def show_notice(self, notice: Notice) -> None:
        """Show ``notice`` (kept as is when it is the one already shown)."""
        if notice == self.notice:
            return
        self.notice = notice
        self.title.setText(notice.title)
        self.text.setText(notice.text)
        while self.commands.count():
            item = self.commands.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                discard(widget)
        for command in notice.commands:
            self.commands.addWidget(CommandLine(command))
        self.button.setText(notice.action)
        self.button.setVisible(bool(notice.action))
        self.more.setText(notice.more)
        self.more.setVisible(bool(notice.more))
        self.set_busy("")
        self.setAccessibleName(notice.title)

    def set_busy(self, words: str) -> None:
        """While the button's action runs: the button off, and what is happening."""
        self.button.setEnabled(not words)
        self.busy.setText(words)
        self.busy.setVisible(bool(words))

    def _on_button(self) -> None:
        if self.notice is not None:
            self.action_requested.emit(self.notice.key)
